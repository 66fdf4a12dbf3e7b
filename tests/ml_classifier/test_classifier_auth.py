"""The routes that change what ml-classifier serves (/train, /model/activate) need the admin token: the service token
gets 403 AUTH002 and changes nothing; the other routes take either token."""

from clf_helpers import page
from tests.auth import admin_headers, api_headers
from tests.encoding import png_bytes


def _vectors(client) -> list[list[float]]:
    return [client.app.state.runtime.embed([page(k, 900 + i)])[0].tolist() for k in ("receipt", "letter") for i in range(2)]


def test_train_and_activate_refuse_the_service_token_and_accept_the_admin_token(private_client):
    before = private_client.get("/models").json()["data"]
    body = {"embeddings": _vectors(private_client), "labels": ["receipt", "receipt", "letter", "letter"]}

    refused = private_client.post("/train", json=body)  # the fixture's client sends the service token
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "AUTH002"
    assert refused.json()["error"]["retryable"] is False
    assert private_client.get("/models").json()["data"] == before  # nothing stored

    trained = private_client.post("/train", json=body, headers=admin_headers())
    assert trained.status_code == 200, trained.text
    version = trained.json()["data"]["version"]
    assert version not in before["versions"] and trained.json()["data"]["active"] is False

    refused = private_client.post("/model/activate", json={"version": version}, headers=api_headers())
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "AUTH002"
    assert private_client.get("/model").json()["data"]["version"] == before["active"]
    activated = private_client.post("/model/activate", json={"version": version}, headers=admin_headers())
    assert activated.status_code == 200 and private_client.get("/model").json()["data"]["version"] == version


def test_either_token_may_classify_and_read_the_model(private_client):
    upload = {"file": ("r.png", png_bytes(page("receipt", 901)), "image/png")}
    for headers in (api_headers(), admin_headers()):
        assert private_client.post("/classify", files=upload, headers=headers).status_code == 200
        assert private_client.get("/model", headers=headers).status_code == 200


def test_without_a_token_a_model_change_is_401_before_the_body_is_read(private_client):
    for path in ("/train", "/model/activate"):
        r = private_client.post(path, content=b"{not json", headers={"Authorization": "", "content-type": "application/json"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "AUTH001"
