"""E-mail: the subject and body templates, and one SMTP connection with retries and backoff."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2

from pipeline.diagnostics import BulletinError
from pipeline.source.addressbook import SmtpSettings
from pipeline.source.model import format_date_cn

SUBJECT_TEMPLATE, BODY_TEMPLATE = "mail-subject.j2", "mail-body.j2"


class Refused(Exception):
    """A permanent (5xx) refusal, or a transient error that outlasted every retry."""


class MailTexts:
    """The subject and body templates (jinja2, plain text) of a template folder."""

    def __init__(self, folder: Path) -> None:
        for name in (SUBJECT_TEMPLATE, BODY_TEMPLATE):
            if not (folder / name).is_file():
                raise BulletinError.single(
                    f"the template folder has no {name}",
                    file=folder / name,
                    hint="copy it from templates/work-bulletin/",
                )
        self.folder = folder
        self.environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.environment.filters["cn_date"] = format_date_cn

    def render(self, context: dict[str, Any]) -> tuple[str, str]:
        """Subject (one line) and body for one recipient."""
        try:
            subject = self.environment.get_template(SUBJECT_TEMPLATE).render(context)
            body = self.environment.get_template(BODY_TEMPLATE).render(context)
        except jinja2.TemplateError as exc:
            raise BulletinError.single(
                f"mail template error: {exc}",
                file=self.folder,
                hint="the mail templates may use masthead, recipient, copy_number, "
                "copy_range, copies, file_name, revised, print_date, distribution",
            ) from None
        return " ".join(subject.split()), body


class Mailer:
    """One SMTP connection for a run; transient errors are retried with exponential backoff."""

    def __init__(
        self,
        settings: SmtpSettings,
        environ: Mapping[str, str],
        sleep: Callable[[float], None],
        attempts: int = 4,
        delay: float = 1.0,
    ) -> None:
        self.settings, self.sleep, self.attempts, self.delay = settings, sleep, attempts, delay
        self.user = environ.get("BULLETIN_SMTP_USER") or None
        self.password = environ.get("BULLETIN_SMTP_PASSWORD")
        if self.user and self.password is None:
            raise BulletinError.single(
                "BULLETIN_SMTP_USER is set but BULLETIN_SMTP_PASSWORD is not",
                hint="export BULLETIN_SMTP_PASSWORD=… in the shell that runs bulletin",
            )
        self._smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        """Connect and log in now, so a wrong server fails before anything is sent."""
        try:
            self._retrying(self._connect)
        except Refused as exc:
            raise BulletinError.single(
                f"cannot use the mail server {self.settings.host}:{self.settings.port}: {exc}",
                hint="check [smtp] in the address book, --smtp-host/--smtp-port and "
                "BULLETIN_SMTP_USER / BULLETIN_SMTP_PASSWORD",
            ) from None

    def send(self, message: EmailMessage, to: str) -> None:
        """Send one message to one address; raise Refused if it cannot be delivered."""

        def attempt() -> None:
            if self._smtp is None:
                self._connect()
            assert self._smtp is not None
            self._smtp.send_message(message, to_addrs=[to])

        self._retrying(attempt)

    def close(self) -> None:
        """Say goodbye to the server."""
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def _connect(self) -> None:
        s = self.settings
        if s.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=30, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.host, s.port, timeout=30)
        try:
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
        except BaseException:
            smtp.close()
            raise
        self._smtp = smtp

    def _retrying(self, action: Callable[[], None]) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                action()
                return
            except (smtplib.SMTPException, OSError) as exc:
                code = _code(exc)
                if code is not None and not 400 <= code < 500:
                    raise Refused(_describe(exc)) from None
                self._drop()
                if attempt == self.attempts:
                    raise Refused(f"{_describe(exc)} (gave up after {attempt} attempts)") from None
                self.sleep(self.delay * 2 ** (attempt - 1))

    def _drop(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None


def _code(exc: BaseException) -> int | None:
    """The SMTP reply code of an error; None for connection trouble (always transient)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _text in exc.recipients.values()]
        return max(codes) if codes else None
    if isinstance(exc, smtplib.SMTPResponseException):
        return int(exc.smtp_code)
    if isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLError):
        return 554
    return None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {text.decode(errors='replace')}" for code, text in exc.recipients.values()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__
