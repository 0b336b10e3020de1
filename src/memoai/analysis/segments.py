"""Comments and questions tied to exact sentences of the memo, from what the rules found."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from memoai.analysis.dimensions import where_ask
from memoai.analysis.findings import Findings
from memoai.analysis.kinds import CommentKind, Severity, stronger
from memoai.analysis.metrics import LONG_SENTENCE_WORDS, SentenceFacts
from memoai.analysis.wording import tr

MAX_SEGMENTS = 20
MAX_QUESTIONS = 4


@dataclass(frozen=True)
class Issue:
    priority: int  # lower comes first when there are more issues than room
    comment: str
    question: str
    suggestion: str
    kind: CommentKind
    severity: Severity


def segment_feedback(f: Findings) -> list[dict[str, Any]]:
    """One entry per flagged sentence, the most important kept, in the order of the memo."""
    issues: dict[SentenceFacts, list[Issue]] = {}
    for unit, issue in _issues(f):
        issues.setdefault(unit, []).append(issue)
    ranked = sorted(issues, key=lambda u: (min(i.priority for i in issues[u]), u.start))
    chosen = sorted(ranked[:MAX_SEGMENTS], key=lambda u: u.start)
    return [_entry(f, unit, sorted(issues[unit], key=lambda i: i.priority)) for unit in chosen]


def _entry(f: Findings, unit: SentenceFacts, issues: list[Issue]) -> dict[str, Any]:
    """Merge every issue of one sentence, so segments never overlap; the first (most
    important) issue names the kind, the most urgent one the severity."""
    severity = issues[0].severity
    for issue in issues[1:]:
        severity = stronger(severity, issue.severity)
    return {
        "segment": f.profile.quote(unit),
        "kind": issues[0].kind,
        "severity": severity,
        "comment": " ".join(i.comment for i in issues),
        "questions": list(dict.fromkeys(i.question for i in issues))[:MAX_QUESTIONS],
        "suggestion": " ".join(dict.fromkeys(i.suggestion for i in issues)),
    }


def _issues(f: Findings) -> list[tuple[SentenceFacts, Issue]]:
    found = _ask_issues(f)
    found += [(unit, _issue(f.language, "vague", word=word)) for unit, word in f.vague_claims]
    found += [(unit, _issue(f.language, "unmitigated")) for unit in f.unmitigated_risks]
    for unit in f.profile.sentences:
        if unit.words > LONG_SENTENCE_WORDS:
            found.append((unit, _issue(f.language, "long", words=unit.words)))
        if unit.passive:
            found.append((unit, _issue(f.language, "passive", phrase=unit.passive)))
    return found


def _ask_issues(f: Findings) -> list[tuple[SentenceFacts, Issue]]:
    """A missing ask is noted on the opening sentence; a late one on the ask itself."""
    if f.ask is None:
        opening = f.profile.sentences[:1] or f.profile.body[:1]
        return [(unit, _issue(f.language, "ask_missing")) for unit in opening]
    if f.ask_early:
        return []
    return [(f.ask, _issue(f.language, "ask_late", where=where_ask(f)))]


# Comment templates; {where}, {word}, {words} and {phrase} are filled in per sentence.
_TEMPLATES = {
    "ask_missing": Issue(
        0,
        "The memo never states an explicit request, so the reader must guess what to decide.",
        "What exactly do you want the reader to approve or do, and by when?",
        "Open with the ask, e.g. “I request approval of <amount> for <project> by <date>.”",
        "ask",
        "must",
    ),
    "ask_late": Issue(
        0,
        "This is your request, but it comes in {where}; a busy reader may stop first.",
        "Could the memo open with this sentence?",
        "Move the request to the first paragraph and let the rest of the memo support it.",
        "ask",
        "should",
    ),
    "vague": Issue(
        1,
        "“{word}” claims a size, but the sentence gives no figure.",
        "How large? Which figure supports this?",
        "Replace “{word}” with the number and its source.",
        "evidence",
        "should",
    ),
    "unmitigated": Issue(
        2,
        "This names a risk without saying how you will reduce or handle it.",
        "What will you do if this happens, and who owns it?",
        "Add the mitigation or contingency right after the risk.",
        "risk",
        "should",
    ),
    "long": Issue(
        3,
        "This sentence runs to {words} words; readers lose the thread after about 25.",
        "Which single point must this sentence make?",
        "Split it into two or three sentences with one idea each.",
        "clarity",
        "could",
    ),
    "passive": Issue(
        4,
        "Passive voice (“{phrase}”) hides who acts.",
        "Who does this? Name the actor.",
        "Rewrite with the actor as the subject.",
        "clarity",
        "could",
    ),
}


def _issue(language: str, kind: str, **values: object) -> Issue:
    """One issue's comment, question and suggestion, in the writer's language."""
    template = _TEMPLATES[kind]
    return Issue(
        template.priority,
        tr(template.comment, language, **values),
        tr(template.question, language),
        tr(template.suggestion, language, **values),
        template.kind,
        template.severity,
    )
