"""Spanish text of the offline analyser's feedback and fixed chat answers, by English template.

Written for Spanish readers (usted, the memo's own terms: solicitud, memorando, asunto), not
word for word. Fields in braces are the same as in the English template.
"""

from __future__ import annotations

NOUNS: dict[str, tuple[str, str]] = {
    "word": ("palabra", "palabras"),
    "paragraph": ("párrafo", "párrafos"),
    "heading": ("título", "títulos"),
    "list item": ("elemento de lista", "elementos de lista"),
    "figure": ("cifra", "cifras"),
    "claim": ("afirmación", "afirmaciones"),
    "sentence": ("oración", "oraciones"),
    "cost statement": ("mención de costes", "menciones de costes"),
    "benefit statement": ("mención de beneficios", "menciones de beneficios"),
    "risk statement": ("mención de riesgo", "menciones de riesgo"),
    "mitigation statement": ("medida de mitigación", "medidas de mitigación"),
    "risk": ("riesgo", "riesgos"),
    "hedging word": ("palabra de duda", "palabras de duda"),
    "jargon phrase": ("expresión de jerga", "expresiones de jerga"),
    "unexplained acronym": ("sigla sin explicar", "siglas sin explicar"),
    "exclamation mark": ("signo de exclamación", "signos de exclamación"),
    "casual phrase": ("expresión coloquial", "expresiones coloquiales"),
}

SPANISH: dict[str, str] = {
    # where things are
    "paragraph {n}, {share:.0%} of the way in": "el párrafo {n}, al {share:.0%} del texto",
    "the request": "la propia solicitud",
    "the subject line": "el asunto",
    "the memo": "el memorando",
    "none": "ninguno",
    # purpose and ask
    "gives a date for the decision (in {where})": "da una fecha para la decisión (en {where})",
    "does not give a date for the decision": "no da una fecha para la decisión",
    "The explicit ask appears in {where}: “{quote}”. It names an amount and {dated}.": (
        "La solicitud explícita aparece en {where}: «{quote}». Indica un importe y {dated}."
    ),
    "The explicit ask appears in {where}: “{quote}”. It does not name an amount and {dated}.": (
        "La solicitud explícita aparece en {where}: «{quote}». No indica un importe y {dated}."
    ),
    " The memo gives an amount ({amount}) elsewhere.": (
        " El memorando da un importe ({amount}) en otro lugar."
    ),
    "The request comes first ({where}), so a leader sees at once what is asked.": (
        "La solicitud va primero ({where}): quien decide ve enseguida qué se le pide."
    ),
    "Your request only appears in {where}; move it to the opening lines.": (
        "Su solicitud solo aparece en {where}; llévela a las primeras líneas."
    ),
    "The request is specific: it names an amount and a date for the decision.": (
        "La solicitud es concreta: indica un importe y una fecha para la decisión."
    ),
    "the amount": "el importe",
    "the date": "la fecha",
    " and ": " y ",
    "Make the request specific: add {missing} you need a decision on": (
        "Concrete la solicitud: añada {missing} sobre los que necesita una decisión"
    ),
    " (the memo mentions {amount} elsewhere; put it in the request)": (
        " (el memorando menciona {amount} en otro lugar; póngalo en la solicitud)"
    ),
    "State your request in the first paragraph: what you want approved, how much, by when.": (
        "Formule su solicitud en el primer párrafo: qué quiere que se apruebe, cuánto y para "
        "cuándo."
    ),
    "No explicit request or recommendation found (such as “I request”, “we recommend” or "
    "“please approve”)": (
        "No se encontró ninguna solicitud ni recomendación explícita (como «solicito», "
        "«recomendamos» o «les pedimos que aprueben»)"
    ),
    "; the memo only implies one: “{quote}”.": "; el memorando solo la insinúa: «{quote}».",
    "; a purpose statement opens the memo.": "; el memorando empieza declarando su propósito.",
    # structure
    "the ask is in {where}": "la solicitud está en {where}",
    "no explicit ask": "sin solicitud explícita",
    "Memo headers: {headers}. {paragraphs} (longest {longest} words), {headings}, "
    "{bullets}; {main_point}.": (
        "Encabezados del memorando: {headers}. {paragraphs} (el más largo de {longest} "
        "palabras), {headings}, {bullets}; {main_point}."
    ),
    "The memo has {paragraphs}, the longest {longest} words; give each idea a short paragraph.": (
        "El memorando tiene {paragraphs}, el más largo de {longest} palabras; dé a cada idea un "
        "párrafo breve."
    ),
    "Bottom line up front: the request opens the memo ({where}).": (
        "Lo esencial primero: la solicitud abre el memorando ({where})."
    ),
    "Lead with your conclusion: the request sits in {where}.": (
        "Empiece por su conclusión: la solicitud está en {where}."
    ),
    "The memo header is complete: {headers}.": "El encabezado del memorando está completo: "
    "{headers}.",
    "Add the missing memo header lines: {missing}.": (
        "Añada las líneas de encabezado que faltan: {missing}."
    ),
    "{headings} and {bullets} make it easy for a busy reader to skim.": (
        "{headings} y {bullets} permiten a un lector con prisa recorrerlo de un vistazo."
    ),
    "Add headings (Recommendation, Costs and savings, Risks, Next steps) to help a leader skim.": (
        "Añada títulos (Recomendación, Costes y ahorros, Riesgos, Próximos pasos) para que quien "
        "decide lo recorra de un vistazo."
    ),
    # evidence
    "{figures} in {words} ({per_100:.1f} per 100 words), e.g. {listed}; {vague} of size "
    "without a figure; {sourced} naming a source.": (
        "{figures} en {words} ({per_100:.1f} por cada 100 palabras), p. ej. {listed}; {vague} "
        "de magnitud sin cifra; {sourced} con fuente."
    ),
    "{figures} in {words} ({per_100:.1f} per 100 words); {vague} of size without a "
    "figure; {sourced} naming a source.": (
        "{figures} en {words} ({per_100:.1f} por cada 100 palabras); {vague} de magnitud sin "
        "cifra; {sourced} con fuente."
    ),
    "Claims are backed by numbers: {figures} in {words}, such as {listed}.": (
        "Las afirmaciones se apoyan en datos: {figures} en {words}, como {listed}."
    ),
    "Claims are backed by numbers: {figures} in {words}.": (
        "Las afirmaciones se apoyan en datos: {figures} en {words}."
    ),
    "Only {figures} in {words}; back the key claims with baselines and results.": (
        "Solo {figures} en {words}; respalde las afirmaciones clave con valores de partida y "
        "resultados."
    ),
    "No figures in {words}; back the key claims with baselines and results.": (
        "Ninguna cifra en {words}; respalde las afirmaciones clave con valores de partida y "
        "resultados."
    ),
    "{claims} of size without a number (e.g. “{word}”); give the figure instead.": (
        "{claims} de magnitud sin número (p. ej. «{word}»); dé la cifra en su lugar."
    ),
    "Evidence is sourced: {sentences} naming where data comes from.": (
        "Los datos tienen fuente: {sentences} con su procedencia."
    ),
    "Say where your figures come from (audit, survey, pilot, benchmark).": (
        "Indique de dónde salen sus cifras (auditoría, encuesta, piloto, comparativa)."
    ),
    # business case
    "{costs} and {benefits} with figures; return measure: {returns}; alternatives or the "
    "cost of doing nothing: {alternatives}.": (
        "{costs} y {benefits} con cifras; medida del retorno: {returns}; alternativas o coste de "
        "no hacer nada: {alternatives}."
    ),
    "discussed": "tratadas",
    "not discussed": "no tratadas",
    "The business case is quantified: costs and benefits both come with figures.": (
        "El caso de negocio está cuantificado: costes y beneficios vienen con cifras."
    ),
    "The return is explicit ({terms}).": "El retorno es explícito ({terms}).",
    "Quantify the cost: one-off and running costs, with amounts.": (
        "Cuantifique el coste: inversión inicial y costes recurrentes, con importes."
    ),
    "Quantify the benefit: savings, revenue or hours freed.": (
        "Cuantifique el beneficio: ahorros, ingresos u horas liberadas."
    ),
    "State the return: payback period or ROI, with your assumptions.": (
        "Indique el retorno: periodo de recuperación o ROI, con sus supuestos."
    ),
    "Compare with the alternatives, including doing nothing.": (
        "Compare con las alternativas, incluida la de no hacer nada."
    ),
    # risks
    "No risks named (looked for risk, downside, threat, “may fail”… and a Risks section).": (
        "No se nombra ningún riesgo (se buscó riesgo, amenaza, «podría fallar»… y un apartado "
        "de Riesgos)."
    ),
    "Name the main risks (adoption, compliance, budget, delivery) and how you will "
    "mitigate each.": (
        "Nombre los riesgos principales (adopción, cumplimiento, presupuesto, ejecución) y cómo "
        "mitigará cada uno."
    ),
    "{risks}, {mitigated} with a mitigation next to it; {mitigations}; owners {owners}; "
    "{point} decision point if results fall short.": (
        "{risks}, {mitigated} con su mitigación al lado; {mitigations}; responsables {owners}; "
        "{point} punto de decisión si los resultados no llegan."
    ),
    "named": "nombrados",
    "not named": "sin nombrar",
    "a": "con",
    "no": "sin",
    "Risks are only acknowledged in passing (“{first}”); name each specific risk, how "
    "you will mitigate it and who owns it.": (
        "Los riesgos solo se mencionan de pasada («{first}»); nombre cada riesgo concreto, cómo "
        "lo mitigará y quién es responsable."
    ),
    "each with a mitigation": "cada uno con su mitigación",
    "with its mitigation": "con su mitigación",
    "Risks are faced honestly: {risks} named, {each}.": (
        "Los riesgos se abordan con franqueza: {risks} nombrados, {each}."
    ),
    "Name the other main risks (clinical, compliance, financial, delivery), each "
    "with its mitigation.": (
        "Nombre los demás riesgos principales (clínicos, de cumplimiento, financieros, de "
        "ejecución), cada uno con su mitigación."
    ),
    "Say who owns each risk and its mitigation.": (
        "Diga quién es responsable de cada riesgo y de su mitigación."
    ),
    "Add a decision point: when you would stop or change course if results fall short.": (
        "Añada un punto de decisión: cuándo pararía o cambiaría de rumbo si los resultados no "
        "llegan."
    ),
    "{risks} without a mitigation (“{first}”); say what you will do and who owns it.": (
        "{risks} sin mitigación («{first}»); diga qué hará y quién es responsable."
    ),
    # clarity
    "Write the memo in full sentences.": "Escriba el memorando con oraciones completas.",
    "No sentences to measure.": "No hay oraciones que medir.",
    "Sentences average {msl} words ({long} over {limit}); Flesch–Kincaid grade {grade}; "
    "passive voice in {passive} of sentences.": (
        "Las oraciones tienen {msl} palabras de media ({long} de más de {limit}); legibilidad "
        "Fernández Huerta {ease} (nivel escolar {grade}); voz pasiva en el {passive} de las "
        "oraciones."
    ),
    "Easy to read: sentences average {msl} words and the reading grade is {grade}.": (
        "Fácil de leer: las oraciones tienen {msl} palabras de media y el nivel de lectura es "
        "{grade}."
    ),
    "{long} over {limit} words (average {msl}); split them, one point each.": (
        "{long} de más de {limit} palabras (media {msl}); divídalas, una idea en cada una."
    ),
    "The reading grade is {grade}; aim for 12 or below with shorter sentences and plainer words.": (
        "El nivel de lectura es {grade}; busque 12 o menos con oraciones más cortas y palabras "
        "más sencillas."
    ),
    "{passive} of sentences are in the passive voice; name who acts.": (
        "El {passive} de las oraciones está en voz pasiva; diga quién actúa."
    ),
    "Mostly active voice: {passive} of sentences are passive.": (
        "Predomina la voz activa: solo el {passive} de las oraciones es pasiva."
    ),
    "{repeated} of {sentences} only repeat earlier ones word for word; say each thing once.": (
        "{repeated} de {sentences} repiten literalmente otras anteriores; diga cada cosa una vez."
    ),
    # audience and tone
    "{hedges}, {jargon}, {acronyms}, {exclamations}, {casual}, {lower} starting in lower "
    "case. Only these signals are checked: whether tone and detail suit your readers needs "
    "a human or AI reader, so the offline analysis does not award the top level here.": (
        "{hedges}, {jargon}, {acronyms}, {exclamations}, {casual}, {lower} que empiezan en "
        "minúscula. Solo se comprueban estas señales: si el tono y el detalle convienen a sus "
        "lectores lo decide un lector humano o una IA, así que el análisis sin conexión no "
        "concede aquí el nivel máximo."
    ),
    "Confident, plain wording: no hedging words or buzzwords found.": (
        "Redacción segura y llana: no hay palabras de duda ni jerga de moda."
    ),
    "Hedging words appear {n} times ({sample}); state your case with confidence.": (
        "Las palabras de duda aparecen {n} veces ({sample}); defienda su propuesta con seguridad."
    ),
    "The tone is too casual for senior leaders ({sample}); write as you would in a board paper.": (
        "El tono es demasiado coloquial para la dirección ({sample}); escriba como en un "
        "documento para el comité de dirección."
    ),
    "Start sentences with a capital letter; a memo typed in lower case reads as a hurried note.": (
        "Empiece las oraciones con mayúscula; un memorando escrito en minúsculas parece una nota "
        "apresurada."
    ),
    "Replace jargon with plain words: {words}.": "Cambie la jerga por palabras llanas: {words}.",
    "Spell out {acronyms} the first time you use them.": (
        "Desarrolle {acronyms} la primera vez que las use."
    ),
    "Drop the exclamation marks; let the facts carry the emphasis.": (
        "Quite los signos de exclamación; deje que los hechos den el énfasis."
    ),
}

SPANISH.update(
    {
        # the whole evaluation (offline.py)
        " The memo is only {words}, too short to show much.": (
            " El memorando tiene solo {words}, demasiado poco para mostrar mucho."
        ),
        "The offline analysis cannot judge {name}; it needs an AI model. Switch to an "
        "AI provider or ask a colleague to review this criterion.": (
            "El análisis sin conexión no puede valorar {name}; hace falta un modelo de IA. Cambie "
            "a un proveedor de IA o pida a un colega que revise este criterio."
        ),
        "You have made a start: write the memo and the analysis will find what works.": (
            "Ha empezado: escriba el memorando y el análisis encontrará lo que funciona."
        ),
        "Your message is plain: “{first}” Now support it once instead of repeating it.": (
            "Su mensaje es claro: «{first}». Ahora respáldelo una vez en lugar de repetirlo."
        ),
        "The memo is brief ({brief}), so it is quick to read and easy to extend.": (
            "El memorando es breve ({brief}): se lee rápido y es fácil de ampliar."
        ),
        "The memo covers its topic in {words} words, so the material for a strong memo is "
        "there; the opportunities below show how to shape it.": (
            "El memorando trata su tema en {words} palabras: el material para un buen memorando "
            "está ahí; las oportunidades de abajo muestran cómo darle forma."
        ),
        "tone, accuracy and persuasiveness": "el tono, la exactitud y la capacidad de persuasión",
        "Ask a colleague or an AI reviewer to check what rules cannot judge: {what}.": (
            "Pida a un colega o a un revisor de IA que compruebe lo que las reglas no pueden "
            "valorar: {what}."
        ),
    }
)

SPANISH.update(
    {
        # comments on sentences (segments.py)
        "The memo never states an explicit request, so the reader must guess what to decide.": (
            "El memorando nunca formula una solicitud explícita, así que el lector tiene que "
            "adivinar qué decidir."
        ),
        "What exactly do you want the reader to approve or do, and by when?": (
            "¿Qué quiere exactamente que el lector apruebe o haga, y para cuándo?"
        ),
        "Open with the ask, e.g. “I request approval of <amount> for <project> by <date>.”": (
            "Empiece por la solicitud, p. ej. «Solicito la aprobación de <importe> para "
            "<proyecto> antes del <fecha>»."
        ),
        "This is your request, but it comes in {where}; a busy reader may stop first.": (
            "Esta es su solicitud, pero llega en {where}; un lector con prisa puede dejar de leer "
            "antes."
        ),
        "Could the memo open with this sentence?": "¿Podría el memorando empezar con esta frase?",
        "Move the request to the first paragraph and let the rest of the memo support it.": (
            "Lleve la solicitud al primer párrafo y deje que el resto del memorando la respalde."
        ),
        "“{word}” claims a size, but the sentence gives no figure.": (
            "«{word}» afirma una magnitud, pero la frase no da ninguna cifra."
        ),
        "How large? Which figure supports this?": "¿Cuánto exactamente? ¿Qué cifra lo respalda?",
        "Replace “{word}” with the number and its source.": (
            "Sustituya «{word}» por el número y su fuente."
        ),
        "This names a risk without saying how you will reduce or handle it.": (
            "Esto nombra un riesgo sin decir cómo lo reducirá o gestionará."
        ),
        "What will you do if this happens, and who owns it?": (
            "¿Qué hará si ocurre, y quién es responsable?"
        ),
        "Add the mitigation or contingency right after the risk.": (
            "Añada la mitigación o el plan de contingencia justo después del riesgo."
        ),
        "This sentence runs to {words} words; readers lose the thread after about 25.": (
            "Esta frase tiene {words} palabras; a partir de unas 25 el lector pierde el hilo."
        ),
        "Which single point must this sentence make?": (
            "¿Qué única idea debe transmitir esta frase?"
        ),
        "Split it into two or three sentences with one idea each.": (
            "Divídala en dos o tres frases, con una idea cada una."
        ),
        "Passive voice (“{phrase}”) hides who acts.": (
            "Voz pasiva («{phrase}»): oculta quién actúa."
        ),
        "Who does this? Name the actor.": "¿Quién lo hace? Nombre a quien actúa.",
        "Rewrite with the actor as the subject.": "Reescríbala con quien actúa como sujeto.",
    }
)
