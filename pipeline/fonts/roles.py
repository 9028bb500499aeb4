"""The font roles of GB/T 9704: 小标宋 title, 仿宋 body, 黑体 heading, 楷体 kai, 宋体 song."""

from typing import Literal

Role = Literal["title", "body", "heading", "kai", "song"]
ROLES: tuple[Role, ...] = ("title", "body", "heading", "kai", "song")
