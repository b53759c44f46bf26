"""The text summary `schoolbrug sync` prints (without --json): Dutch, as the demo speaks, and
naming every pupil the run could not sync with what the school should change.

A rejected pupil is named by name, masked national number and line of the export; their hint
is that of their own finding (same file and line), or else that of their class (a class
without curriculum rejects all its pupils). Never a full national number.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from schoolbrug.sources.findings import mask_national_numbers_in
from schoolbrug.sync.report import SyncReport
from schoolbrug.sync.run_report import ordered_counts

PUPILS_LISTED = 100  # per run; the rest is counted (the JSON report has them all)


def text_summary(report: SyncReport) -> str:
    if report.error:
        # An EDEXML file refused before it names its school: the file instead of ": …".
        who = report.institution or report.error.get("file") or "?"
        return _("%(who)s: onleesbare export, er is niets gewijzigd (run %(run)s)") % {
            "who": who,
            "run": report.run_id,
        }
    if report.failed or report.busy:
        what = _("mislukt") if report.failed else _("geweigerd")
        return f"{report.institution}: {what}, run {report.run_id}: {report.message}"
    if report.dry_run:
        mode = _("proefdraai (niets gewijzigd)")
    else:
        mode = _("toegepast") if report.applied else _("niet toegepast")
    counts = ", ".join(
        f"{count} {label}"
        for key, label, count in ordered_counts(report.counts)
        if count and key != "unchanged"
    )
    unchanged = report.counts.get("unchanged", 0)
    if unchanged:
        counts = ", ".join(filter(None, [counts, _("%(n)d ongewijzigd") % {"n": unchanged}]))
    lines = [f"{report.institution}: {mode}, run {report.run_id}: {counts or _('geen leerlingen')}"]
    if report.stopped:
        lines.append(_("  GESTOPT: %(reason)s") % {"reason": report.stop_reason})
    errors = sum(1 for f in report.findings if f.get("severity") == "error")
    warnings = len(report.findings) - errors
    if report.findings:
        lines.append(
            "  "
            + ngettext("%(n)d fout", "%(n)d fouten", errors) % {"n": errors}
            + ", "
            + ngettext("%(n)d waarschuwing", "%(n)d waarschuwingen", warnings) % {"n": warnings}
        )
    lines += _rejected_lines(report)
    return "\n".join(lines)


def _rejected_lines(report: SyncReport) -> list[str]:
    rejected = [a for a in report.actions if a.get("action") == "rejected"]
    if not rejected:
        return []
    own = {
        (f.get("line")): f
        for f in report.findings
        if f.get("outcome") == "reject" and f.get("line") is not None and f.get("pupil_name")
    }
    by_class = [
        f for f in report.findings if f.get("outcome") == "reject" and not f.get("pupil_name")
    ]
    lines = [_("  Niet gesynchroniseerd:")]
    for finding in by_class:  # e.g. a class without curriculum: all its pupils
        lines.append(f"    {_safe(finding.get('message'))} {_tip(finding)}".rstrip())
    for action in rejected[:PUPILS_LISTED]:
        who = action.get("pupil") or _("(zonder naam)")
        number = action.get("national_number") or _("geen rijksregisternummer")
        where = _("regel %(line)s") % {"line": action["line"]} if action.get("line") else ""
        text = f"    - {_safe(who)} ({number}){', ' + where if where else ''}"
        if finding := own.get(action.get("line")):
            text += f": {_safe(finding.get('message'))} {_tip(finding)}".rstrip()
        lines.append(text)
    if len(rejected) > PUPILS_LISTED:
        more = len(rejected) - PUPILS_LISTED
        lines.append(
            "    " + _("… en nog %(n)d (zie het rapport met --json of --report)") % {"n": more}
        )
    return lines


def _tip(finding: dict) -> str:
    hint = _safe(finding.get("hint"))
    return _("Tip: %(hint)s") % {"hint": hint} if hint else ""


def _safe(text) -> str:
    return mask_national_numbers_in(str(text or ""))
