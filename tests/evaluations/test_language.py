"""The writer's language through the API: the body's field or Accept-Language chooses it, it is
stored and returned, Spanish requests get Spanish offline feedback, and it keys the reuse."""

from __future__ import annotations

from typing import Any

from memoai.evaluations.service import request_key

from helpers import ApiClient

SPANISH_MEMO = """Para: Comité de Dirección
De: Laura Gómez, Jefa de Enfermería
Fecha: 3 de marzo de 2026
Asunto: Sensores de caídas, decisión antes del 31 de marzo

Solicitamos su aprobación de 84.000 € para instalar sensores de caídas en la planta 5.

El año pasado se registraron 46 caídas en la unidad, según el sistema de incidencias. El piloto
redujo las caídas un 38 %. La inversión se recupera en nueve meses.

Riesgos
- El personal podría ignorar las alarmas: formaremos a cada turno.
- Los sensores pueden fallar.
"""


async def _evaluate(client: ApiClient, status: int = 201, **kwargs: Any) -> dict[str, Any]:
    headers = kwargs.pop("headers", {})
    response = await client.post("/api/v1/evaluations", json=kwargs, headers=headers)
    assert response.status_code == status, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_a_spanish_request_gets_spanish_offline_findings(client: ApiClient) -> None:
    data = await _evaluate(client, text_content=SPANISH_MEMO, language="es")
    assert data["status"] == "completed" and data["language"] == "es"
    texts = [*data["strengths"], *data["opportunities"]]
    texts += [s["justification"] for s in data["rubric_scores"]]
    joined = " ".join(texts)
    assert "Encabezados del memorando: Para, De, Fecha, Asunto." in joined
    assert "La solicitud explícita aparece en el párrafo 1" in joined
    assert "The explicit ask" not in joined and "Memo headers" not in joined
    comments = {s["comment"] for s in data["segment_feedback"]}
    assert "Voz pasiva («se registraron»): oculta quién actúa." in comments
    assert "Esto nombra un riesgo sin decir cómo lo reducirá o gestionará." in comments
    # The metrics follow the Spanish rules too: headers read, Fernández Huerta's ease.
    assert data["metrics"]["headers_found"] == ["To", "From", "Date", "Subject"]
    stored = (await client.get(f"/api/v1/evaluations/{data['id']}")).json()["data"]
    assert stored["language"] == "es" and stored["strengths"] == data["strengths"]


async def test_accept_language_chooses_when_the_body_does_not(client: ApiClient) -> None:
    spanish = await _evaluate(
        client, text_content=SPANISH_MEMO, headers={"Accept-Language": "es-ES,es;q=0.9,en;q=0.5"}
    )
    assert spanish["language"] == "es"
    assert any("Para, De, Fecha, Asunto" in s["justification"] for s in spanish["rubric_scores"])
    english = await _evaluate(
        client, text_content="Please approve the plan.", headers={"Accept-Language": "fr, de"}
    )
    assert english["language"] == "en"
    # The body's field wins over the header.
    chosen = await _evaluate(
        client,
        text_content="Please approve the other plan.",
        language="en",
        headers={"Accept-Language": "es"},
    )
    assert chosen["language"] == "en" and "No explicit" not in " ".join(chosen["strengths"])


async def test_a_spanish_writer_never_receives_a_stored_english_evaluation(
    client: ApiClient,
) -> None:
    english = await _evaluate(client, text_content=SPANISH_MEMO)
    assert english["language"] == "en"
    spanish = await _evaluate(client, text_content=SPANISH_MEMO, language="es")
    assert spanish["id"] != english["id"] and spanish["reused"] is False
    again = await _evaluate(
        client, status=200, text_content=SPANISH_MEMO, headers={"Accept-Language": "es"}
    )
    assert again["id"] == spanish["id"] and again["reused"] is True
    english_again = await _evaluate(client, status=200, text_content=SPANISH_MEMO)
    assert english_again["id"] == english["id"]


async def test_an_unsupported_language_is_refused_with_a_clear_message(client: ApiClient) -> None:
    response = await client.post(
        "/api/v1/evaluations", json={"text_content": SPANISH_MEMO, "language": "fr"}
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["field"].endswith("language")
    assert "'en' or 'es'" in error["message"]


def test_the_reuse_key_includes_the_language_and_keeps_english_keys() -> None:
    english = request_key("memo", "v1", "offline", "rules-v1")
    assert request_key("memo", "v1", "offline", "rules-v1", "en") == english
    spanish = request_key("memo", "v1", "offline", "rules-v1", "es")
    assert spanish != english and len(spanish) == 64
    assert request_key("memo", "v2", "offline", "rules-v1", "es") != spanish
