"""Spanish text of the offline coach's chat answers, by English template (see wording_es.py)."""

from __future__ import annotations

CHAT: dict[str, str] = {
    "I am the offline analysis, not an AI model: I answer from your evaluation and the rubric "
    "with fixed rules.": (
        "Soy el análisis sin conexión, no un modelo de IA: respondo a partir de su evaluación y "
        "de la rúbrica con reglas fijas."
    ),
    "This evaluation has no score for {name}.": "Esta evaluación no tiene puntuación para {name}.",
    "{name} was not scored.": "{name} no se puntuó.",
    "You scored {score} out of {high} on {name} (scale {low}–{high}).": (
        "Obtuvo {score} de {high} en {name} (escala {low}–{high})."
    ),
    "Why: {why}": "Por qué: {why}",
    "What would move it up in this memo:": "Qué la subiría en este memorando:",
    "The rubric's guidance for the top level ({level}): {guidance}": (
        "Lo que dice la rúbrica del nivel máximo ({level}): {guidance}"
    ),
    "I do not have the memo's text, so I cannot comment on its opening.": (
        "No tengo el texto del memorando, así que no puedo comentar su comienzo."
    ),
    "Your memo has no explicit request. Open with one sentence that says what you want, "
    "how much and by when, e.g. “I request approval of <amount> to <do what> by <date>.”": (
        "Su memorando no formula una solicitud explícita. Empiece con una frase que diga qué "
        "quiere, cuánto y para cuándo, p. ej. «Solicito la aprobación de <importe> para <qué> "
        "antes del <fecha>»."
    ),
    "Your opening already carries the request ({where}): keep it there and follow it "
    "with the two or three reasons that support it.": (
        "Su comienzo ya incluye la solicitud ({where}): manténgala ahí y sígala de las dos o "
        "tres razones que la respaldan."
    ),
    "Your request sits in {where}. Move it to the opening: “{quote}”": (
        "Su solicitud está en {where}. Llévela al comienzo: «{quote}»"
    ),
    "Add the memo header lines ({missing}); let the {subject} name the decision.": (
        "Añada las líneas de encabezado ({missing}); que el {subject} nombre la decisión."
    ),
    "A reliable order: the request; why now (the problem, with one figure); costs and "
    "return; risks and how you will handle them; next steps and the decision date.": (
        "Un orden fiable: la solicitud; por qué ahora (el problema, con una cifra); costes y "
        "retorno; riesgos y cómo los gestionará; próximos pasos y la fecha de la decisión."
    ),
    "I cannot write new text for you; an AI provider can draft a revised opening.": (
        "No puedo redactar texto nuevo por usted; un proveedor de IA puede proponer un comienzo "
        "revisado."
    ),
    "Your overall score is {score} on a scale of {low}–{high}.": (
        "Su puntuación global es {score} en una escala de {low}–{high}."
    ),
    "The biggest opportunities:": "Las mayores oportunidades:",
    "a criterion": "un criterio",
    "Ask me about a criterion by name (e.g. “Why did I get this score on {example}?”), "
    "what to fix first, how this version compares with your first draft, or how to open "
    "the memo.": (
        "Pregúnteme por un criterio por su nombre (p. ej. «¿Por qué obtuve esta puntuación en "
        "{example}?»), qué corregir primero, cómo se compara esta versión con su primer "
        "borrador o cómo empezar el memorando."
    ),
    "Strongest: {name} ({score} / {high}).": "Lo más fuerte: {name} ({score} / {high}).",
    "Most room to grow: {name} ({score} / {high}).": (
        "Más margen de mejora: {name} ({score} / {high})."
    ),
}

CHAT.update(
    {
        # the offline chat: comparing versions, the rubric's levels, what to fix first
        "This is the first version of the memo, so there is no earlier draft to compare "
        "with. Revise it, submit the new version as a revision of this one, and ask again.": (
            "Esta es la primera versión del memorando, así que no hay un borrador anterior con el "
            "que compararla. Revísela, envíe la nueva versión como revisión de esta y vuelva a "
            "preguntar."
        ),
        "your first draft": "su primer borrador",
        "the previous version": "la versión anterior",
        "Compared with {which} (both versions measured by the same offline rules):": (
            "Comparado con {which} (las dos versiones medidas con las mismas reglas sin conexión):"
        ),
        "- {name}: not assessed offline.": "- {name}: no se valora sin conexión.",
        "no change": "sin cambios",
        "Overall: {before} → {after} ({change}).": "Global: {before} → {after} ({change}).",
        "What changed in the text:": "Qué cambió en el texto:",
        "Words {a_words} → {b_words}; paragraphs {a_paragraphs} → {b_paragraphs}; "
        "figures {a_figures} → {b_figures}; memo header lines {a_headers} → {b_headers}.": (
            "Palabras {a_words} → {b_words}; párrafos {a_paragraphs} → {b_paragraphs}; cifras "
            "{a_figures} → {b_figures}; líneas de encabezado {a_headers} → {b_headers}."
        ),
        "The new version states an explicit request.": (
            "La nueva versión formula una solicitud explícita."
        ),
        "The new version no longer states an explicit request.": (
            "La nueva versión ya no formula una solicitud explícita."
        ),
        "The sentences are the same; only spacing or layout changed.": (
            "Las frases son las mismas; solo cambiaron los espacios o la disposición."
        ),
        "{added} sentences added or rewritten, {removed} removed or rewritten.": (
            "{added} frases añadidas o reescritas, {removed} eliminadas o reescritas."
        ),
        "New: “{quote}”": "Nueva: «{quote}»",
        "Gone: “{quote}”": "Eliminada: «{quote}»",
        "The rubric describes level {score} as: {guidance}": (
            "La rúbrica describe el nivel {score} así: {guidance}"
        ),
        "To reach {next}, the rubric asks for: {guidance}": (
            "Para llegar al {next}, la rúbrica pide: {guidance}"
        ),
        "That is the top level; keep doing what earned it.": (
            "Es el nivel máximo; siga haciendo lo que se lo ha dado."
        ),
        "Every assessed criterion is at the top level; nothing needs fixing first.": (
            "Todos los criterios valorados están en el nivel máximo; no hay nada que corregir "
            "primero."
        ),
        "This evaluation has no assessed scores, so I cannot say what to fix first.": (
            "Esta evaluación no tiene puntuaciones valoradas, así que no puedo decir qué corregir "
            "primero."
        ),
        "Fix {name} first: you scored {score} out of {high}, and it carries {share:.0f}% of "
        "the overall score, so a step up there counts most.": (
            "Corrija primero {name}: obtuvo {score} de {high} y pesa el {share:.0f}% de la "
            "puntuación global, así que subir un nivel ahí es lo que más cuenta."
        ),
        "Start with:": "Empiece por:",
        "Then: {name} ({score} out of {high}).": "Después: {name} ({score} de {high}).",
    }
)
