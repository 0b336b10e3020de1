"""The Spanish words, phrases and rules the offline analyser looks for (the names of english.py).

Spanish rules, not translated English ones: memo headers (Para, De, Fecha, Asunto), Spanish
abbreviations, syllables by Spanish diphthongs and hiatus, the Fernández Huerta readability
formula, passive voice as "ser" + participle and as the "se" pasiva, and the ways Spanish
memos ask, hedge, cite and name risks. Patterns are matched against lower-cased text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from memoai.analysis.english import vocabulary
from memoai.analysis.text import Conventions, word_set

# --- splitting: header labels and abbreviations ----------------------------------------------

_HEADER = re.compile(
    r"[*_#>\s]*(para|a|de|fecha|asunto|ref|referencia|cc|cco)[*_]*\s*:", re.IGNORECASE
)
_HEADER_NAMES = {
    "para": "To",
    "a": "To",
    "de": "From",
    "fecha": "Date",
    "asunto": "Subject",
    "ref": "Subject",
    "referencia": "Subject",
}
CODE = "es"
TEXT = Conventions(
    header=_HEADER,
    header_names=_HEADER_NAMES,
    never_final=word_set(
        "sr sra srta sres dr dra d dña lic ing arq prof núm nº n.º no pág págs art arts cap "
        "fig vol aprox ej p.ej vs ud uds vd vds dpto depto avda av c/ tel admón cía "
        "ene feb mar abr may jun jul ago sept sep oct nov dic"
    ),
    go_on=word_set("etc aprox incl cf"),
    sentence_starters=word_set(
        "el la los las lo este esta estos estas ese esa eso nosotros yo nuestro nuestra "
        "nuestros nuestras se si sin pero y así entonces hay como con por para en de un una "
        "además también no"
    ),
)
HEADER_LABELS = {"To": "Para", "From": "De", "Date": "Fecha", "Subject": "Asunto"}

# --- syllables and readability -------------------------------------------------------------

_STRONG = set("aeoáéó")
_ACCENTED_WEAK = set("íú")
_VOWELS = set("aeiouáéíóúü")
_FRONT = ("e", "i", "é", "í")


@lru_cache(maxsize=8192)
def syllables(word: str) -> int:
    """Syllables of a Spanish word: one per vowel nucleus. A weak vowel (i, u, ü) beside
    another vowel forms a diphthong; two strong vowels (a, e, o) or an accented í/ú beside a
    vowel are said apart (hiatus): "ciu-dad" 2, "po-e-ma" 3, "dí-a" 2, "ra-íz" 2."""
    lowered = word.lower()
    if not any(c.isalpha() for c in lowered):
        return 1 if any(c.isdigit() for c in lowered) else max(1, len(word) // 3)
    count, previous = 0, ""
    for i, char in enumerate(lowered):
        silent_u = char == "u" and i and lowered[i - 1] in "qg" and lowered[i + 1 : i + 2] in _FRONT
        if char not in _VOWELS or silent_u:  # "que", "guía": the u is not said
            previous = ""
            continue
        if not previous or _hiatus(previous, char):
            count += 1
        previous = char
    return max(1, count)


def _hiatus(first: str, second: str) -> bool:
    return (first in _STRONG and second in _STRONG) or bool({first, second} & _ACCENTED_WEAK)


# The school grade a reading ease corresponds to, by the bands of Fernández Huerta's scale
# (100 very easy, primary school; below 30 very difficult, university).
_GRADE_BANDS = ((100.0, 4.0), (90.0, 5.0), (80.0, 6.0), (70.0, 7.0), (60.0, 9.0), (50.0, 12.0),
                (30.0, 16.0), (0.0, 18.0))  # fmt: skip


def readability(sentences: int, word_count: int, syllable_count: int) -> tuple[float, float]:
    """Fernández Huerta's reading ease, 206.84 − 60 × syllables per word − 1.02 × words per
    sentence (clamped to 0..100), and the school grade of its band (for the same rules as
    English's Flesch-Kincaid grade)."""
    if not sentences or not word_count:
        return 0.0, 0.0
    ease = 206.84 - 60 * syllable_count / word_count - 1.02 * word_count / sentences
    ease = min(100.0, max(0.0, ease))
    for (high, grade_high), (low, grade_low) in itertools.pairwise(_GRADE_BANDS):
        if ease >= low:
            grade = grade_low + (grade_high - grade_low) * (ease - low) / (high - low)
            return round(grade, 1), round(ease, 1)
    return 18.0, round(ease, 1)


# --- passive voice: "ser" + participle, and the "se" pasiva ---------------------------------

SER = word_set(
    "es son era eran fue fueron será serán sería serían sea sean fuera fueran fuese fuesen "
    "sido siendo ser"
)
BETWEEN = word_set(
    "no ya también todavía aún ahora siempre nunca finalmente luego después previamente "
    "debidamente totalmente parcialmente recientemente formalmente"
)
IRREGULAR_PARTICIPLES = word_set(
    """hecho hecha hechos hechas dicho dicha dichos dichas escrito escrita escritos escritas
    puesto puesta puestos puestas visto vista vistos vistas abierto abierta abiertos abiertas
    cubierto cubierta cubiertos cubiertas roto rota rotos rotas vuelto vuelta devuelto devuelta
    resuelto resuelta resueltos resueltas previsto prevista previstos previstas propuesto
    propuesta propuestos propuestas dispuesto dispuesta impuesto impuesta compuesto compuesta
    descrito descrita descritos descritas inscrito inscrita provisto provista satisfecho
    satisfecha frito impreso impresa expuesto expuesta supuesto supuesta"""
)
# Words ending like participles that after "ser" are adjectives or nouns, not the passive.
NOT_PARTICIPLES = word_set(
    """adecuado adecuada adecuados adecuadas delicado delicada privado privada complicado
    complicada pesado pesada sagrado sagrada reducido reducida elevado elevada limitado
    limitada apropiado apropiada necesario posible todo toda todos todas nado ido lado
    estado cuidado partido sentido ruido sonido marido olvido contenido resultado mercado
    grado pasado helado soldado abogado prado significado apartado candidato candidata
    preocupado preocupada interesado interesada obligado obligada capacitado capacitada
    cualificado cualificada dedicado dedicada desconocido desconocida conocido conocida"""
)
_PARTICIPLE = re.compile(r"^\w{2,}(?:ad|id)[oa]s?$")
# Verbs that take "se" as themselves or for "is about", "is due to": not the passive.
SE_NOT_PASSIVE = word_set(
    """trata tratan refiere refieren debe deben encuentra encuentran queda quedan reúne reúnen
    siente sienten va van ve ven puede pueden mantiene mantienen sitúa sitúan convierte
    convierten produce producen espera esperan necesita necesitan dedica dedican
    compone componen basa basan centra centran suma suman"""
)
_SE_OBJECT = word_set("lo la los las le les me te nos")
# Third-person endings of the present, past and future: "se aprobó", "se instalarán".
_SE_VERB = re.compile(r"^\w{2,}(?:ó|aron|ieron|ará|arán|erá|erán|irá|irán|a|an|e|en)$")


def passive_phrase(tokens: list[str]) -> str | None:
    """The first passive phrase: "fue aprobado", "han sido revisadas", "se aprobó"."""
    for i, word in enumerate(tokens):
        if word in SER:
            for j in range(i + 1, min(i + 4, len(tokens))):
                if _is_participle(tokens[j]):
                    return " ".join(tokens[i : j + 1])
                if tokens[j] not in BETWEEN and not tokens[j].endswith("mente"):
                    break
        elif word == "se" and i + 1 < len(tokens):
            verb = tokens[i + 1]
            if verb in _SE_OBJECT or verb in SE_NOT_PASSIVE or not _SE_VERB.match(verb):
                continue
            if (
                i
                and tokens[i - 1] in ("que", "quien", "quienes")
                and not _is_determiner(tokens, i + 2)
            ):
                continue  # "el equipo que se reúne": a reflexive verb after "que"
            if i >= 2 and _is_determiner(tokens, i - 2):
                continue  # "la inversión se recupera": the subject acts on itself (middle voice)
            return f"se {verb}"
    return None


def _is_determiner(tokens: list[str], index: int) -> bool:
    return index < len(tokens) and tokens[index] in ("el", "la", "los", "las", "un", "una")


def _is_participle(word: str) -> bool:
    if word in IRREGULAR_PARTICIPLES:
        return True
    if word in NOT_PARTICIPLES or not _PARTICIPLE.match(word):
        return False
    # "rápido", "válido", "sólido": an accent before the ending marks an adjective.
    stem = unicodedata.normalize("NFD", word[:-3])
    return "\u0301" not in stem


# --- figures --------------------------------------------------------------------------------

FIGURE = re.compile(
    r"(?=[\d$€£UE])(?<![\w.,])(?:[$€£]|(?:USD|EUR)\s?)?\d[\d.]*(?:,\d+)?"
    r"(?:\s?(?:%|€|euros?\b|por ciento\b|k€|M€|millones\b|millón\b|mil\b|x\b))?"
)
MONEY = re.compile(r"^(?:[$€£]|USD|EUR)|(?:€|euros?|millones|millón|mil|k€|M€)$")
NAMED_BY_NUMBER = re.compile(
    r"\b(?:planta|sala|habitación|edificio|ala|fase|módulo|versión|paso|unidad|box|quirófano"
    r"|pabellón|bloque|consulta|cama|nivel)\s$",
    re.IGNORECASE,
)

# --- vocabularies -----------------------------------------------------------------------------

VAGUE = vocabulary(
    r"significativ\w*, sustancial(?:es|mente)?, much[oa]s, numeros[oa]s, considerabl\w*, "
    r"enormes?, drástic\w*, masiv\w*, gran cantidad, muchísim\w*, la mayoría, ampliamente, "
    r"tremend\w*, un sinfín, infinidad"
)
_TROUBLE = (
    r"(?:retras|resist|fall|fracas|rechaz|super|exced|interrump|romp|perd|pierd|filtr|incumpl"
    r"|quej|confund|ignor|expon|dañ|falt|agot|desbord|encarec|bloque|negar|niegu|oponer|opong"
    r"|retrase|colaps|sobrecarg|dispar|frustr|molest|bajar|caer|cai|no llegu|no lleg|no acept"
    r"|tarda|demor|afect|perjudic|dificult)\w*"
)
_TROUBLE_NOUNS = (
    r"problemas|dificultades|retrasos|riesgos|inconvenientes|retos|desafíos|complicaciones"
    r"|incidencias|obstáculos"
)
RISK = re.compile(
    r"(?=[a-zñáéíóú])\b(?:riesgos?|arriesgad\w*|amenazas?|peor escenario|fallos?|exposición"
    r"|vulnerab\w*|sobrecostes?|sobrecostos?|preocupaci(?:ón|ones)|inconvenientes?"
    rf"|(?:puede|podría|pueden|podrían)(?: no)?(?: \S+){{0,4}}? {_TROUBLE}"
    r"|(?:puede|podría|pueden|podrían|pudiera|pudieran) no\b"
    r"|puede que (?:\S+ ){0,3}?(?:difícil\w*|complicad\w*|costos\w*|no)\b"
    rf"|^si (?:\S+ ){{0,6}}?{_TROUBLE}"
    rf"|(?:puede|podría|pudiera) haber (?:algun[oa]s )?(?:{_TROUBLE_NOUNS})"
    r"|(?:retrasos?|problemas?|errores?|fallos?|incidencias?) (?:podrían|pueden|podría|puede)"
    r" (?:aparecer|producirse|surgir|ocurrir|repetirse))\b"
)
NOT_A_RISK = re.compile(
    r"\b(?:en riesgo|de riesgo|insuficiencia (?:cardíaca|cardiaca|renal|respiratoria|hepática)"
    r"|riesgo de caídas|alto riesgo|evaluaci(?:ón|ones) de riesgos?|factor(?:es)? de riesgo"
    r"|escalas? de riesgo|sin riesgos?|ningún riesgo|sin inconvenientes)\b"
)
HEDGED_RISK = re.compile(
    rf"\b(?:puede|podría|pueden|podrían|pudiera) haber (?:algun[oa]s )?(?:{_TROUBLE_NOUNS})\b"
    r"|\b(?:podría|puede) (?:ser|suponer) un problema\b"
)
MITIGATION = re.compile(
    r"(?=[a-zñáéíóú,;])(?:\b(?:mitig\w*|contingencias?|plan b|plan alternativo|respaldo"
    r"|salvaguardas?|revert\w*|marcha atrás|vigil\w*|monitoriz\w*|supervis\w*|seguimiento"
    r"|escal(?:a|amos|aremos|ará)\b|margen|colchón|por si|responsables?|penalizaci(?:ón|ones)"
    r"|para (?:reducir|limitar|prevenir|evitar|minimizar)|lo (?:reduce|limita|evita)"
    r"|(?:revisaremos|mediremos|informaremos|pararemos|detendremos|volveremos|auditaremos"
    r"|comprobaremos|suspenderemos|cubriremos|cubre|cubren|formaremos|reforzaremos|ajustaremos)"
    r"|si\b.{3,150}?\b(?:entonces|volveremos|pararemos|detendremos|suspenderemos|pasaremos"
    r"|cubrirá|cubrirán|activaremos|reduciremos|ampliaremos|recurriremos))\b"
    r"|, (?:así que|por lo que) (?:nosotros|el|la|los|las|nuestro|nuestra)\b)"
)
CONDITIONAL_ACTION = re.compile(r"^si\b[^,.]{3,150},\s+\w+")
COST = vocabulary(
    r"costes?, costos?, presupuest\w*, inversión, invert\w*, gastos?, gastar, financiaci\w*, "
    r"financiamiento, precios?, tarifas?, licencias?, capital, desembolso, cuesta, cuestan, "
    r"importe"
)
BENEFIT = vocabulary(
    r"ahorros?, ahorr\w+, ingresos, reduc\w+, recortes?, menos, menor(?:es)?, ganancias?, "
    r"beneficios?, margen, aument\w+, increment\w+, recuper\w+, evit\w+, liber\w+, "
    r"disminu\w+, baja(?:rá|ría|ron)?, bajada, mejora(?:rá|ría)?"
)
RETURN = vocabulary(
    r"roi, retorno de la inversión, retorno, recuperación de la inversión, se recupera, "
    r"periodo de recuperación, período de recuperación, punto de equilibrio, van, "
    r"valor actual neto, tir, ahorro neto, se amortiza, amortiza\w*"
)
PURPOSE = vocabulary(
    r"este memorando, esta nota, el propósito, el objetivo de est[ae], le escribo para, "
    r"les escribo para, escribimos para, en este memorando, esta nota pide, este documento"
)
SOFT_ASK = re.compile(
    r"\b(?:necesitamos|deberíamos|debemos|esperamos|queremos|quisiéramos|nos gustaría"
    r"|me gustaría|hay que|habría que|convendría|sería bueno|sería conveniente)\b"
    r"|\bagradeceríamos su apoyo\b|\bcontamos con su apoyo\b|\bpor favor, consideren?\b"
)
SOURCE = re.compile(
    r"(?=[a-zñáéíóú(])(?:\b(?:fuentes?|según|de acuerdo con|auditorías?|encuestas?|estudios?"
    r"|informes? (?:de|del)|datos (?:de|del)|publicad[oa]s?|cuadro de mando|registros? (?:de|del)"
    r"|resultados del piloto|el piloto (?:mostró|demostró)|(?:la auditoría|la encuesta|la revisión)"
    r" (?:mostró|encontró|reveló))\b"
    r"|\((?=[^()]{3,80}\))[^()]*\b(?:cuadro de mando|sistema|registros?|informe|encuesta"
    r"|auditoría|piloto|finanzas|datos|estudio|análisis|estimación|censo|revisión|historia"
    r" clínica|contabilidad)\b)"
)
ALTERNATIVES = vocabulary(
    r"alternativas?, no hacer nada, statu quo, status quo, coste de no actuar, "
    r"costo de no actuar, opciones? (?:consideradas?|que consideramos), en lugar de, en vez de, "
    r"comparado con, comparada con, frente a, opción más barata, seguir como hasta ahora, "
    r"mantener el sistema actual"
)
_MONTHS = "enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre"
_MONTHS += "|noviembre|diciembre"
DEADLINE = vocabulary(
    rf"antes del? (?:\d+|el \d+|fin|final|finales|(?:{_MONTHS})), a más tardar, fecha límite, "
    rf"plazo, no más tarde del?, para el \d+, el \d+ de (?:{_MONTHS})"
)
DECISION = vocabulary(r"decisi\w*, decid\w*, aprob\w*, aprueb\w*, visto bueno, autoriz\w*")
HEDGES = vocabulary(
    r"quizás?, tal vez, posiblemente, probablemente, a lo mejor, de alguna manera, "
    r"en cierto modo, un poco, algo así, creo que, creemos que, me parece, nos parece, "
    r"pensamos que, pienso que, esperamos que, ojalá, parece que, podría, podríamos, supongo, "
    r"igual, más o menos, bastante"
)
CASUAL = vocabulary(
    r"hola a todos, hola, gracias, saludos, sinceramente, básicamente, totalmente, súper, "
    r"genial, increíble, un montón, una pasada, cosas, avísenme, avisadme, ya sabéis, "
    r"ya saben, como todos saben, la verdad, vale, un rollo, fatal, horrible, flipante, "
    r"un lío, a tope, pues nada, bueno"
)
FILLER = vocabulary(
    r"muy, realmente, en realidad, a fin de, con el fin de, en este momento, "
    r"en el momento actual, debido al hecho de que, como ya saben, cabe destacar que, "
    r"es importante señalar, actualmente, en términos de, el hecho de que, hasta ahora, "
    r"una serie de, algún tipo de, simplemente, básicamente"
)
JARGON = vocabulary(
    r"sinergi\w*, apalanc\w*, paradigmas?, mejores prácticas, best practices, holístic\w*, "
    r"valor añadido, disrupti\w*, ecosistema, de cara al futuro, win-win, sin fisuras, "
    r"de vanguardia, de clase mundial, empoder\w*, proactiv\w*, transversal\w*, engagement, "
    r"stakeholders, pensar fuera de la caja, cambio de paradigma, game changer"
)
ACRONYM = re.compile(r"\b[A-ZÑ]{2,6}s?\b")  # matched against the original text
DEFINED_ACRONYM = re.compile(r"\(([A-ZÑ]{2,6})s?\)")
COMMON_ACRONYMS = word_set(
    "UE EEUU IVA PIB RRHH TI CEO UCI SNS PDF IA ONU OMS DNI SL SA ROI KPI EUR USD OK TIR VAN "
    "EU ID TV"
)

# --- the ask --------------------------------------------------------------------------------

ASK_WORDS = (
    "solicit", "recomend", "recomiend", "propon", "propong", "pid", "ped", "rog", "aprob",
    "aprueb", "decisión", "autoriz", "gustar", "quisi", "por favor",
)  # fmt: skip
ASK = re.compile(
    r"(?=[dlnprsqa])\b(?:"
    r"(?:le |les |os )?(?:solicito|solicitamos|recomiendo|recomendamos|propongo|proponemos"
    r"|pido|pedimos|rogamos|ruego)\b"
    r"|(?:solicitamos|pedimos|necesitamos|requerimos) (?:su|vuestra) (?:aprobación|decisión"
    r"|autorización|visto bueno|firma|apoyo)\b"
    r"|por favor,? (?:aprueben?|autoricen?|confirmen?|firmen?|decidan?|asignen?|financien?"
    r"|respalden?|den su visto bueno)\b"
    r"|(?:se solicita|se requiere|se necesita|se pide) (?:su |la )?(?:aprobación|decisión"
    r"|autorización|visto bueno)\b"
    r"|(?:nuestra|mi) recomendación es\b"
    r"|(?:quisiéramos|quisiera|nos gustaría|me gustaría) (?:ampliar|continuar|mantener|iniciar"
    r"|introducir|financiar|comprar|adquirir|implantar|extender|contratar|sustituir|pilotar"
    r"|lanzar|invertir|destinar|renovar|actualizar|instalar|abrir|probar|poner en marcha)\b"
    r"|solicitud de (?:aprobación|autorización|financiación)\b"
    r"|(?:apruebe|aprueben|autorice|autoricen) (?:el|la|los|las|un|una)\b)"
)
ASK_OPENING = re.compile(
    r"\W*(?:(?:recomendación|solicitud|petición|decisión (?:necesaria|requerida|solicitada)"
    r"|acción requerida|lo que pedimos)\s*:|(?:por favor,?\s+)?aprueben?\b)"
)

# --- what the risk rules need ---------------------------------------------------------------

LABEL_SPLIT = re.compile(r"[:;]|, (?:así que|por lo que)\b")
OWNER = re.compile(r"\b(?:responsables?|a cargo|se encarga|se encargará|lidera|liderará)\b")
DECISION_POINT = re.compile(
    r"\b(?:punto de decisión|continuar o no|go/no-go|pararemos si|detendremos el \w+ si"
    r"|suspenderemos el \w+ si)\b"
    r"|^si\b[^,.]{3,150},\s+(?:volveremos|pararemos|detendremos|suspenderemos|pasaremos"
    r"|revertiremos|el equipo (?:volverá|parará))"
)
ACTION_STARTS = (
    "mitigación", "haremos", "vamos a", "hemos", "nuestro ", "nuestra ", "revisaremos",
    "mediremos", "informaremos",
)  # fmt: skip
