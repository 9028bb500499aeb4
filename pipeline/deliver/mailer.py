"""E-mail: the subject and body templates, and one SMTP connection with retries and backoff.

A message is sent in one SMTP transaction. When the connection fails before the final dot of
DATA, nothing was delivered and the send is retried (1, 2, 4 s). When it fails after the final
dot, before the server's reply, the server may already have taken the message: `LostReply` is
raised and the caller decides (it retries such a copy once per run, with the same Message-ID).
After `MAX_REFUSED_CONNECTIONS` failed connections in a row, `ServerGone` stops the run.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2

from pipeline.diagnostics import BulletinError
from pipeline.i18n import _
from pipeline.source.addressbook import SmtpSettings
from pipeline.source.model import format_date_cn

SUBJECT_TEMPLATE, BODY_TEMPLATE = "mail-subject.j2", "mail-body.j2"
MAX_REFUSED_CONNECTIONS = 3  # failed connections in a row before the run stops
TIMEOUT_S = 30.0


class Refused(Exception):
    """A permanent (5xx) refusal, or a transient error that outlasted every retry."""


class LostReply(Exception):
    """The connection broke after the message's final dot: it may or may not have arrived."""


class ServerGone(Exception):
    """The server refused several connections in a row: the run stops."""


class MailTexts:
    """The subject and body templates (jinja2, plain text) of a template folder."""

    def __init__(self, folder: Path) -> None:
        for name in (SUBJECT_TEMPLATE, BODY_TEMPLATE):
            if not (folder / name).is_file():
                raise BulletinError.single(
                    _("the template folder has no {name}", name=name),
                    file=folder / name,
                    hint=_("copy it from templates/work-bulletin/"),
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
                _("mail template error: {reason}", reason=exc),
                file=self.folder,
                hint=_(
                    "the mail templates may use masthead, recipient, copy_number, copy_range, "
                    "copies, file_name, file_names, revised, print_date, distribution"
                ),
            ) from None
        return " ".join(subject.split()), body


class _SMTP(smtplib.SMTP):
    """Notes whether the current DATA has sent its final dot (then a lost reply is uncertain)."""

    final_dot_sent = False
    _in_data = False

    def send(self, s: Any) -> None:
        super().send(s)
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.final_dot_sent = True

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.final_dot_sent, self._in_data = False, True
        try:
            return super().data(msg)
        finally:
            self._in_data = False


class _SMTPSSL(smtplib.SMTP_SSL, _SMTP):
    pass


class Mailer:
    """One SMTP connection for a run; transient errors are retried with exponential backoff."""

    def __init__(
        self,
        settings: SmtpSettings,
        environ: Mapping[str, str],
        sleep: Callable[[float], None],
        attempts: int = 4,
        delay_s: float = 1.0,
        timeout_s: float = TIMEOUT_S,
    ) -> None:
        self.settings, self.sleep, self.attempts = settings, sleep, attempts
        self.delay_s, self.timeout_s = delay_s, timeout_s
        self.user = environ.get("BULLETIN_SMTP_USER") or None
        self.password = environ.get("BULLETIN_SMTP_PASSWORD")
        if self.user and self.password is None:
            raise BulletinError.single(
                _("BULLETIN_SMTP_USER is set but BULLETIN_SMTP_PASSWORD is not"),
                hint=_("export BULLETIN_SMTP_PASSWORD=… in the shell that runs bulletin"),
            )
        self._smtp: _SMTP | _SMTPSSL | None = None
        self.refused_in_a_row = 0
        self.smtputf8 = False  # whether the server offers SMTPUTF8 (known once connected)

    @property
    def where(self) -> str:
        """host:port of the server."""
        return f"{self.settings.host}:{self.settings.port}"

    def open(self) -> None:
        """Connect and log in now, so a wrong server fails before anything is sent."""
        try:
            self._retrying(self._connect)
        except (Refused, ServerGone) as exc:
            raise BulletinError.single(
                _("cannot use the mail server {server}: {reason}", server=self.where, reason=exc),
                hint=_(
                    "check [smtp] in the address book, --smtp-host/--smtp-port and "
                    "BULLETIN_SMTP_USER / BULLETIN_SMTP_PASSWORD"
                ),
            ) from None

    def send(self, message: EmailMessage, sender: str, to: str) -> None:
        """Send one message from one envelope address to one; raise Refused, LostReply or
        ServerGone if it cannot be known to be delivered."""

        def attempt() -> None:
            if self._smtp is None:
                self._connect()
            assert self._smtp is not None
            self._smtp.final_dot_sent = False
            self._smtp.send_message(message, from_addr=sender, to_addrs=[to])

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
        try:
            if s.security == "ssl":
                smtp: _SMTP | _SMTPSSL = _SMTPSSL(
                    s.host, s.port, timeout=self.timeout_s, context=ssl.create_default_context()
                )
            else:
                smtp = _SMTP(s.host, s.port, timeout=self.timeout_s)
        except (OSError, smtplib.SMTPException):
            self.refused_in_a_row += 1
            raise
        self.refused_in_a_row = 0
        try:
            if s.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.ehlo_or_helo_if_needed()
        except BaseException:
            smtp.close()
            raise
        self.smtputf8 = smtp.has_extn("smtputf8")
        self._smtp = smtp

    def _retrying(self, action: Callable[[], None]) -> None:
        for attempt in range(1, self.attempts + 1):
            try:
                action()
                return
            except (smtplib.SMTPException, OSError) as exc:
                after_dot = self._smtp is not None and self._smtp.final_dot_sent
                code = _code(exc)
                if code is not None and not 400 <= code < 500:
                    raise Refused(_describe(exc)) from None
                self._drop()
                if after_dot and code is None:
                    raise LostReply(_describe(exc)) from None
                if self.refused_in_a_row >= MAX_REFUSED_CONNECTIONS:
                    raise ServerGone(
                        _(
                            "{count} connections in a row failed: {reason}",
                            count=self.refused_in_a_row,
                            reason=_describe(exc),
                        )
                    ) from None
                if attempt == self.attempts:
                    raise Refused(
                        _(
                            "{reason} (gave up after {count} attempts)",
                            reason=_describe(exc),
                            count=attempt,
                        )
                    ) from None
                self.sleep(self.delay_s * 2 ** (attempt - 1))

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
    if isinstance(exc, socket.timeout | TimeoutError):
        return _("no answer from the server (timed out)")
    return str(exc) or type(exc).__name__
