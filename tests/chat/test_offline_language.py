"""The offline coach answers in the writer's language through the real chat flow: the
message's field or Accept-Language chooses it; questions asked in Spanish are understood."""

from __future__ import annotations

from tests.chat.support import ask, evaluate, open_chat
from tests.evaluations.test_language import SPANISH_MEMO

from helpers import ApiClient


async def test_a_spanish_writer_gets_spanish_answers(client: ApiClient) -> None:
    evaluation = await evaluate(client, SPANISH_MEMO, language="es")
    chat = await open_chat(client, evaluation["id"])
    url = f"/api/v1/chat/sessions/{chat['id']}/messages"

    first = await client.post(
        url,
        json={"message_content": "¿Qué debería corregir primero?"},
        headers={"Accept-Language": "es-MX,es;q=0.9"},
    )
    assert first.status_code == 201, first.text
    answer = first.json()["data"]["content"]
    assert answer.startswith("Soy el análisis sin conexión, no un modelo de IA")
    assert "Corrija primero" in answer and "La rúbrica describe el nivel" in answer
    assert "not an AI model" not in answer and "Fix " not in answer

    why = await client.post(
        url, json={"message_content": "¿Por qué saqué esa nota en riesgos?", "language": "es"}
    )
    reply = why.json()["data"]["content"]
    assert "Soy el análisis" not in reply  # said once, in the first reply
    assert reply.startswith("Obtuvo ") and "Risks, compliance and mitigation" in reply
    assert "Por qué: " in reply

    opening = await client.post(
        url, json={"message_content": "¿Cómo reescribo el comienzo?", "language": "es"}
    )
    assert "Su comienzo ya incluye la solicitud" in opening.json()["data"]["content"]


async def test_the_field_wins_and_english_stays_the_default(client: ApiClient) -> None:
    evaluation = await evaluate(client, SPANISH_MEMO, language="es")
    chat = await open_chat(client, evaluation["id"])
    english = await ask(client, chat["id"], "What should I fix first?")
    assert "not an AI model" in english.json()["data"]["content"]
    chosen = await client.post(
        f"/api/v1/chat/sessions/{chat['id']}/messages",
        json={"message_content": "What should I fix first?", "language": "en"},
        headers={"Accept-Language": "es"},
    )
    assert chosen.json()["data"]["content"].startswith("Fix ")
    refused = await client.post(
        f"/api/v1/chat/sessions/{chat['id']}/messages",
        json={"message_content": "Hola", "language": "de"},
    )
    assert refused.status_code == 422 and "'en' or 'es'" in refused.text
