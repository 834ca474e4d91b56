"""Outgoing e-mail: SMTP when MAIL_SERVER is set, otherwise .eml files in instance/outbox/."""

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app

from planner.core import identity
from planner.core.models import utcnow


def outbox_dir() -> Path:
    path = Path(current_app.instance_path) / "outbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_message(to: str, subject: str, text: str, html: str | None = None, attachments=()) -> EmailMessage:
    msg = EmailMessage()
    sender = identity.mail_sender()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[-1])
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def send_mail(to: str, subject: str, text: str, html: str | None = None, attachments=()) -> EmailMessage:
    msg = build_message(to, subject, text, html, attachments)
    cfg = current_app.config
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], int(cfg["MAIL_PORT"]), timeout=30) as smtp:
            if cfg.get("MAIL_USE_TLS"):
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
    else:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        (outbox_dir() / f"{stamp}-{abs(hash(msg['Message-ID']))}.eml").write_bytes(bytes(msg))
    return msg
