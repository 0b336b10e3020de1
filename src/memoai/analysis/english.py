"""The English words and phrases the offline rules look for, in one place.

The rules in findings.py only use the names defined here, so another language is a module
with the same names. Every pattern is matched against lower-cased text unless it says so.
"""

from __future__ import annotations

import re

from memoai.analysis.text import ENGLISH, word_set
from memoai.analysis.text import syllables as english_syllables


def vocabulary(listing: str) -> re.Pattern[str]:
    """A lower-case pattern from comma-separated terms; a first-letter lookahead makes it fast."""
    terms = [term.strip() for term in listing.split(", ")]
    first = "".join(sorted({term[0] for term in terms}))
    if not first.isalpha():
        raise ValueError("every vocabulary term must start with a letter")
    return re.compile(rf"(?=[{first}])\b(?:{'|'.join(terms)})\b")


VAGUE = vocabulary(
    r"significant(?:ly)?, substantial(?:ly)?, many, numerous, considerabl[ey], huge, "
    r"enormous, dramatic(?:ally)?, massive(?:ly)?, vast, a lot, lots of, tremendous(?:ly)?, "
    r"countless, greatly, the majority, a great deal, widely"
)
# What may go wrong: a modal and, within a few words, a word for trouble.
_TROUBLE = (
    r"(?:delay|resist|struggle|slip|exceed|fail|overrun|reject|refuse|challeng|problem|issue"
    r"|difficult|disrupt|break|miss|object|worry|bypass|annoy|confus|ignor|expos|under-?staff"
    r"|unfair|lack|los[et]|harm|hurt|drop|fall short|run out|leak|breach|complain)\w*"
)
RISK = re.compile(
    r"(?=[a-z])\b(?:risks?|risky|downsides?|threats?|worst case|failures?|exposure|vulnerab\w*"
    r"|overruns?|concerns?|worr(?:y|ies)"
    rf"|(?:may|might|could)(?: not)?(?: \S+){{0,4}}? {_TROUBLE}|will (?:disrupt|delay)\w*"
    r"|(?:may|might) not\b"
    r"|there (?:may|might|could|will) be (?:some )?(?:issues|challenges|problems|difficulties"
    r"|disruption|risks|concerns|delays)"
    r"|(?:delays?|problems?|issues?|disruption|harm|errors?|failures?) (?:could|may|might|will)"
    r" (?:follow|occur|arise|happen|result|recur))\b"
)
# Uses of risk words that do not name a risk of the proposal.
NOT_A_RISK = re.compile(
    r"\b(?:at(?:-| )risk|(?:heart|kidney|renal|liver|organ|respiratory) failure"
    r"|falls? risk|risk of falls|high[- ]risk|risk (?:assessment|factor|score|register)s?"
    r"|no (?:downsides?|risks?)|without (?:risk|a downside))\b"
)
# Risks acknowledged only in passing, with nothing specific named.
HEDGED_RISK = re.compile(
    r"\bthere (?:may|might|could|will) be (?:some )?(?:issues|challenges|problems|difficulties"
    r"|disruption|risks|concerns|delays)\b|\b(?:could|may|might) be a problem\b"
)
MITIGATION = re.compile(
    r"(?=[a-z,;])(?:\b(?:mitigat\w*|contingenc\w*|fall ?back|safeguards?|backup plan|plan b"
    r"|roll ?back|monitor\w*|escalat\w*|buffer|in case|owners?|owns|signs? off|penalty"
    r"|to (?:reduce|limit|prevent|avoid)"
    r"|we (?:will|would|can) (?:review|measure|report|track|audit|check|stop|pause|return)"
    r"|if\b.{3,150}?\b(?:then|we will|we would|we'll|we can|we pause|we stop|we return"
    r"|we move))\b|, so (?:we|staff|the|our)\b)"
)
# "Risk: what we do" and "If X happens, we do Y" state the mitigation with the risk.
CONDITIONAL_ACTION = re.compile(r"^if\b[^,.]{3,150},\s+\w+")
COST = vocabulary(
    r"costs?, budget\w*, invest\w*, spend\w*, capex, opex, funding, fees?, prices?, "
    r"expenditure, outlay, licen[cs]es?, capital"
)
BENEFIT = vocabulary(
    r"savings?, sav(?:e|es|ed), revenues?, reduc\w+, cut, fewer, less, gains?, benefits?, "
    r"margin, increas\w+, income, recover\w*, worth, value, fall by, drop by, free(?:s|d)? up, "
    r"releas\w+, avoid\w*"
)
RETURN = vocabulary(
    r"roi, return on investment, payback, pays? (?:for itself|back), break[- ]even, npv, "
    r"net present value, irr, net saving"
)
PURPOSE = vocabulary(
    r"this memo, purpose of this, i(?: am|'m) writing to, we(?: are|'re) writing to, "
    r"in this memo, the purpose, the aim of"
)
# A request made only as a wish: the rubric's "vague ask", not a missing one.
SOFT_ASK = re.compile(
    r"\b(?:we|i) (?:should|need|must|would (?:love|like|appreciate)|hope|want)\b"
    r"|\bneeds? (?:\w+ )?(?:money|funding|investment)\b|\bappreciate your support\b"
    r"|\bcould (?:look at|discuss|consider)\b|\bit would be good to\b"
    r"|\bplease (?:consider|support)\b"
    r"|\bhope (?:it|the|you|we)\b"
)
SOURCE = re.compile(
    r"(?=[a-z(])(?:\b(?:source[ds]?|according to|audits?|surveys?|stud(?:y|ies)|benchmarks?"
    r"|data from|pilot results?|reports? (?:by|from)|published|dashboard|incident system"
    r"|log shows|(?:pilot|trial|audit|review|survey) (?:found|showed))\b"
    r"|\((?=[^()]{3,80}\))[^()]*\b(?:dashboard|system|log|report|survey|audit|pilot|finance"
    r"|data|records?|review|benchmark|trial|notes|study|analysis|estimate|notes|census)\b)"
)
ALTERNATIVES = vocabulary(
    r"alternatives?, do nothing, doing nothing, status quo, cost of inaction, "
    r"options? (?:considered|we considered), instead of, compared with, compared to, "
    r"instead, cheaper option, keeping the, stopping the"
)
_MONTHS_AND_DAYS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri"
DEADLINE = vocabulary(
    rf"by (?:\d+|the end|end of|next|q[1-4]|(?:{_MONTHS_AND_DAYS})\w*), before \d+, deadline"
)
# Where a decision date may be given outside the ask: "Decision needed by 31 March".
DECISION = vocabulary(r"decision\w*, decide\w*, approv\w*, sign-off, a yes, agree\w*")
HEDGES = vocabulary(
    r"perhaps, maybe, possibly, hopefully, somewhat, sort of, kind of, i think, i feel, "
    r"i believe, we feel, we think, i guess, arguably, probably, fairly, quite, rather, "
    r"a bit, it seems, might, just, we hope, would be grateful"
)
# Chatty words that are out of place in a memo to senior leaders.
CASUAL = vocabulary(
    r"hi all, hi everyone, hey, thanks, cheers, honestly, basically, totally, really, loads?, "
    r"awesome, amazing, crazy, no-brainer, nightmare, through the roof, anyway, stuff, "
    r"let me know, happy to discuss, just thought, so a few, a real pain, the lot, "
    r"a load of, flat out, as everyone knows, as you know, thankfully, upsetting, terrible, "
    r"awful, everyone knows, is ok, are ok, pick it up"
)
# Words that lengthen a sentence without adding to it.
FILLER = vocabulary(
    r"very, quite, really, a lot of, in order to, at the moment, at this point in time, "
    r"due to the fact that, as you know, it is important to note, actually, basically, "
    r"we would be grateful, currently, in terms of, the fact that, for the purpose of, "
    r"so far, a number of, some of the, kind of, sort of, just"
)
JARGON = vocabulary(
    r"synerg\w*, leverag\w*, paradigms?, best[- ]in[- ]class, best of breed, "
    r"move the needle, circle back, low[- ]hanging fruit, deep dive, bandwidth, holistic, "
    r"value[- ]add, game[- ]chang\w*, ecosystem, going forward, touch base, win[- ]win, "
    r"seamless(?:ly)?, cutting[- ]edge, world[- ]class, mission[- ]critical, "
    r"thought leadership, actionable insights, at the end of the day, outside the box, "
    r"empower\w*, unlock value, disruptive, step change, workstreams?"
)
ACRONYM = re.compile(r"\b[A-Z]{2,6}s?\b")  # matched against the original text
DEFINED_ACRONYM = re.compile(r"\(([A-Z]{2,6})s?\)")
COMMON_ACRONYMS = word_set(
    "CEO CFO COO CTO CIO CMO HR IT US USA UK EU UN ROI KPI AI OK USD EUR GBP AM PM PDF FAQ ID "
    "TV NHS VAT GDP HIPAA GDPR ICU ED"
)

# --- sentences: passive voice, explicit requests, numbers that name things ---------------

BE = word_set(
    "am is are was were be been being isn't aren't wasn't weren't isn’t aren’t wasn’t weren’t"
)  # matched against lower-cased tokens
BETWEEN = word_set(
    "not also already being been now still currently then often never always all both "
    "each either usually typically further later soon"
)
IRREGULAR_PARTICIPLES = word_set(
    """arisen awoken beaten begun bent bid bitten blown born borne bought bound broken brought
    built burnt burst cast caught chosen cost crept cut dealt done drawn dreamt driven drunk
    eaten fallen fed felt fought found fled flown forbidden forecast foregone foreseen forgiven
    forgotten frozen given grown hung heard hidden hit held hurt kept known laid led learnt
    left lent let lit lost made meant met mistaken misled misunderstood outgrown overcome
    overdone overheard overridden overrun overseen overtaken overthrown paid proven put quit
    read rebuilt redone rewritten ridden risen run said seen sought sold sent set sewn shaken
    shown shrunk shut sung sunk slain slept slid spoken sped spent spilt split spoilt spread
    sprung stood stolen stuck stung stricken struck strung sworn swept swollen swum taken
    taught torn told thought thrown thrust understood undertaken underwritten upheld
    withdrawn withheld woken won worn woven wound written"""
)
# "being" + participle after these is a noun phrase, not a clause in the passive voice:
# "left without being seen" (a clinical term), "after being admitted", "for being late".
GERUND_BEFORE = word_set("without after before for from of on upon since despite by besides")
# Words ending in -ed that after "to be" describe a state or are not verbs at all.
ED_NOT_PASSIVE = word_set(
    """interested excited pleased tired worried concerned committed dedicated qualified
    experienced talented skilled supposed advanced detailed sophisticated complicated limited
    varied aged naked wicked rugged sacred hundred indeed embed united"""
)

# "Ward 4", "Room 12", "Phase 2": numbers that name something rather than measure it.
NAMED_BY_NUMBER = re.compile(
    r"\b(?:ward|room|floor|level|building|wing|phase|bay|theatre|block|version|step|unit)\s$",
    re.IGNORECASE,
)
# Every ask pattern contains one of these, so units without them skip the costly search.
ASK_WORDS = (
    "request", "recommend", "propos", "ask", "urge", "seek", "please", "decision", "approv",
    "action", "sign-off", "need", "require", "like to",
)  # fmt: skip
# Both matched against lower-cased text; the first-letter lookahead makes the scan fast.
ASK = re.compile(
    r"(?=[adimoprsw])\b(?:"
    r"(?:i|we)(?:'d|’d|\s+would|\s+therefore|\s+formally|\s+respectfully|\s+hereby|\s+strongly"
    r"|\s+now|\s+also)*\s+(?:like\s+to\s+)?(?:request|recommend|propose|ask|urge|seek)\b"
    r"|(?:i|we)\s*(?:am|are|'m|’m|'re|’re)\s+(?:now\s+|therefore\s+|formally\s+)?"
    r"(?:requesting|asking|seeking|recommending|proposing)\b"
    r"|(?:i|we)\s+(?:need|require)\s+(?:your|the\s+board's|leadership's)\s+(?:approval"
    r"|decision|sign-off|agreement|support)\b"
    r"|please\s+(?:\w+\s+and\s+)?(?:approve|authori[sz]e|confirm|endorse|fund|sign|decide"
    r"|allocate|agree|support|release|grant)\b"
    r"|seeking\s+(?:your\s+|board\s+|formal\s+)?(?:approval|authori[sz]ation|endorsement"
    r"|agreement|sign-off|decision|funding|support)\b"
    r"|(?:decision|approval|action|sign-off)\s+(?:is\s+)?(?:needed|required|requested|sought)\b"
    r"|(?:my|our)\s+recommendation\s+is\b"
    r"|(?:i|we)(?:'d|’d|\s+would)\s+like\s+to\s+(?:extend|continue|start|introduce|fund|buy"
    r"|purchase|roll\s+out|expand|make|move|hire|recruit|implement|replace|pilot|run|keep"
    r"|launch|invest|spend|allocate|secure|buy|renew|upgrade|install|open|trial)\b"
    r"|requests?(?:ing)?\s+(?:for\s+)?(?:your\s+)?(?:approval|authori[sz]ation|funding"
    r"|sign-off)\b)"
)
ASK_OPENING = re.compile(
    r"\W*(?:(?:recommendation|the\s+ask|request|decision\s+needed|action\s+required)\s*:"
    r"|(?:please\s+)?approve\b)"
)

# --- what splitting, counting and the risk rules need ---------------------------------------

CODE = "en"
TEXT = ENGLISH  # header labels and abbreviations for sentence splitting
# Header names as the feedback writes them.
HEADER_LABELS = {"To": "To", "From": "From", "Date": "Date", "Subject": "Subject"}
FIGURE = re.compile(
    r"(?=[\d$€£¥₹UEGCA])(?<![\w.,])(?:[$€£¥₹]|(?:USD|EUR|GBP|CHF|AUD|CAD)\s?)?\d[\d,]*(?:\.\d+)?"
    r"(?:\s?(?:%|percent\b|per cent\b|[kKmMbB](?:n|illion)?\b|x\b|thousand\b|million\b|billion\b))?"
)
MONEY = re.compile(r"^(?:[$€£¥₹]|USD|EUR|GBP)|\d\s?(?:[kKmMbB](?:n|illion)?|thousand|million)$")
LABEL_SPLIT = re.compile(r"[:;]|, so\b")  # "Risk: what we do", "…, so we…"
OWNER = re.compile(r"\b(?:owns?|owner|responsible|accountable)\b")
DECISION_POINT = re.compile(
    r"\b(?:go/no-go|go or no-go|decision point|stop if|(?:stop|end|pause) the \w+ if)\b"
    r"|^if\b[^,.]{3,150},\s+(?:we|teams?|the \w+)\s+(?:return|stop|move|pause|revert|end)"
)
ACTION_STARTS = ("we will", "mitigation", "we have", "our ", "i will")  # a plan, not a risk
syllables = english_syllables


def passive_phrase(tokens: list[str]) -> str | None:
    """The first "to be" + past participle phrase ("was approved", "is being reviewed")."""
    if BE.isdisjoint(tokens):
        return None
    for i, token in enumerate(tokens):
        if token not in BE or (i and tokens[i - 1] in GERUND_BEFORE and token.startswith("bein")):
            continue
        for j in range(i + 1, min(i + 4, len(tokens))):
            if _is_participle(tokens[j]):
                return " ".join(tokens[i : j + 1])
            if tokens[j] not in BETWEEN and not tokens[j].endswith("ly"):
                break
    return None


def _is_participle(word: str) -> bool:
    if word in IRREGULAR_PARTICIPLES:
        return True
    regular = len(word) > 4 and word.endswith("ed") and not word.endswith("eed")
    return regular and "-" not in word and word not in ED_NOT_PASSIVE


def readability(sentences: int, word_count: int, syllable_count: int) -> tuple[float, float]:
    """Flesch-Kincaid grade (never below 0) and Flesch reading ease (clamped to 0..100)."""
    if not sentences or not word_count:
        return 0.0, 0.0
    per_sentence = word_count / sentences
    per_word = syllable_count / word_count
    grade = 0.39 * per_sentence + 11.8 * per_word - 15.59
    ease = 206.835 - 1.015 * per_sentence - 84.6 * per_word
    return round(max(0.0, grade), 1), round(min(100.0, max(0.0, ease)), 1)
