"""The weekly digest as an email: a plain-text part that reads well alone, and an HTML part with the same
words first and the charts after them, each chart a PNG inline (multipart/related, by Content-ID) with
a text alternative saying what it shows.

Structure: multipart/alternative (text/plain, multipart/related (text/html, image/png...)), the order
mail clients expect: the richest part they can show wins, and one that shows no HTML reads the text.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import make_msgid
from html import escape

from dashboard.alerts.digest import Digest

HOW_TO_READ = (
    "The usual range of a week is worked out from the 8 weeks before it, as the dashboard shades it: "
    "a week outside it is unusual."
)


def build(
    digest: Digest, charts: Mapping[str, bytes], *, sender: str, to: list[str], dashboard_url: str
) -> EmailMessage:
    """The digest addressed to `to`; `charts` holds a PNG per series name (a series without one has no image)."""
    domain = sender.rpartition("@")[2]
    mail = EmailMessage()
    mail["Subject"] = digest.subject
    mail["From"] = sender
    if to:
        mail["To"] = ", ".join(to)
    mail["Message-ID"] = make_msgid(domain=domain)
    mail.set_content(text(digest, dashboard_url))
    cids = {name: make_msgid(idstring=name, domain=domain) for name in charts}
    mail.add_alternative(html(digest, {name: cid[1:-1] for name, cid in cids.items()}, dashboard_url), subtype="html")
    related = mail.get_payload()[1]
    for name, png in charts.items():
        related.add_related(png, "image", "png", cid=cids[name], filename=f"{name}.png", disposition="inline")
    return mail


def text(digest: Digest, dashboard_url: str) -> str:
    """The plain-text part: the week's figures in words, each with its link, then the alerts."""
    lines = [f"Weekly digest {digest.name}: {digest.span}, all segments", ""]
    if digest.partial_through is not None:
        lines += [_partial(digest), ""]
    lines += [digest.summary, "(! marks a figure outside its usual range.)", ""]
    for item in digest.figures:
        mark = "!" if item.outside else "-"
        lines += [f"{mark} {item.words}", f"  {item.link}"]
    lines += ["", "Alerts open this week"]
    lines += [f"- {a.words}\n  {a.link}" for a in digest.alerts] or ["None."]
    lines += ["", HOW_TO_READ, f"Dashboard: {dashboard_url}", ""]
    return "\n".join(lines)


def html(digest: Digest, cids: Mapping[str, str], dashboard_url: str) -> str:
    """The HTML part: the same words first, linked, then a chart per figure with its text alternative."""
    figures = "".join(
        f'<li style="margin:0 0 4px"><a href="{escape(item.link)}" style="color:#1f3a5f">'
        f"{'<strong>' + escape(item.words) + '</strong>' if item.outside else escape(item.words)}</a></li>"
        for item in digest.figures
    )
    alerts = "".join(
        f'<li style="margin:0 0 4px">{escape(a.words)} <a href="{escape(a.link)}" style="color:#1f3a5f">View</a></li>'
        for a in digest.alerts
    )
    charts = "".join(
        f'<a href="{escape(item.link)}"><img src="cid:{escape(cids[item.series])}" alt="{escape(item.alt)}" '
        f'width="560" height="200" style="display:block;border:0;margin:12px 0;max-width:100%;height:auto"></a>'
        for item in digest.figures
        if item.series in cids
    )
    partial = f'<p style="color:#8a3d00">{escape(_partial(digest))}</p>' if digest.partial_through else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(digest.subject)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#212529;max-width:600px;margin:0 auto;padding:12px">'
        f'<h1 style="font-size:20px;margin:0 0 4px">Weekly digest {escape(digest.name)}</h1>'
        f'<p style="margin:0 0 12px;color:#555">{escape(digest.span)}, all segments</p>{partial}'
        f"<p><strong>{escape(digest.summary)}</strong></p>"
        f'<ul style="padding-left:20px">{figures}</ul>'
        '<h2 style="font-size:16px">Alerts open this week</h2>'
        + (f'<ul style="padding-left:20px">{alerts}</ul>' if alerts else "<p>None.</p>")
        + f'<h2 style="font-size:16px">Charts</h2>{charts}'
        f'<p style="color:#555;font-size:12px;margin-top:16px">{escape(HOW_TO_READ)} '
        f'<a href="{escape(dashboard_url)}" style="color:#1f3a5f">Open the dashboard</a>.</p>'
        "</body></html>"
    )


def _partial(digest: Digest) -> str:
    through = digest.partial_through
    return f"The data holds this week only through {through:%a %d %b %Y}: its figures are not final."
