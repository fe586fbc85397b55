#!/usr/bin/env python3
"""Keeps the Gemini fake honest with Google's official Python SDK (`google-genai`).

Usage: python3 gemini_sdk.py BASE_URL   (a running Gemini fake, e.g. http://127.0.0.1:PORT)

Run by crates/fitview-fakes/tests/sdk_oracles.rs after FitView's `nano-banana` provider has
made one try-on request against the same fake. It checks that

1. the request body FitView sent (read back from the fake's `GET /_fake/requests`) is accepted
   by the SDK's own request types (`types.Content`, `types.GenerateContentConfig`; both forbid
   unknown fields), and that the SDK, given those parsed values, sends the same body;
2. the SDK parses the fake's success answer (the final non-thought image part decodes, thought
   parts and signatures are where Gemini 3 puts them), every refusal shape (finish reasons,
   `promptFeedback.blockReason`) and every error body (`errors.APIError` with the right
   `code`/`status`/`details`).

Prints one `ok ...` line per check and exits non-zero at the first failure.
"""

import base64
import hashlib
import json
import os
import sys
import urllib.request

from google import genai
from google.genai import errors, types

KEY = os.environ.get("FITVIEW_FAKE_KEY", "fitview-test-key")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
CHECKS = 0


def check(name, condition, detail=""):
    global CHECKS
    if not condition:
        raise AssertionError(f"{name}: {detail}")
    CHECKS += 1
    print(f"ok {name}")


CLIENTS = {}


def client(base, scenario=None, key=KEY):
    """One SDK client per scenario and key, kept alive (a dropped Client closes its connection
    pool under calls still using it)."""
    if (base, scenario, key) not in CLIENTS:
        headers = {"x-fake-scenario": scenario} if scenario else None
        CLIENTS[base, scenario, key] = genai.Client(
            api_key=key,
            # FitView calls /v1beta (where imageConfig is documented); google-genai 3.x
            # defaults to /v1 for the Gemini API. The fake serves both.
            http_options=types.HttpOptions(
                base_url=base, api_version="v1beta", headers=headers, timeout=60_000
            ),
        )
    return CLIENTS[base, scenario, key]


def recorded(base):
    with urllib.request.urlopen(f"{base}/_fake/requests", timeout=30) as answer:
        return json.load(answer)


def b64decode_any(text):
    """Standard or URL-safe base64, padded or not (the SDK sends URL-safe, FitView standard)."""
    text = text.replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def camel(name):
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def snake_keys(value, found=None):
    """The snake_case field names in a body (the API accepts both spellings)."""
    found = set() if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            if "_" in key:
                found.add(key)
            snake_keys(item, found)
    elif isinstance(value, list):
        for item in value:
            snake_keys(item, found)
    return found


def decoded_data(value):
    """`value` with camelCase field names and every inlineData.data replaced by a digest of its
    bytes, to compare bodies whose spellings and base64 alphabets differ."""
    if isinstance(value, dict):
        out = {}
        for key, item in ((camel(k), v) for k, v in value.items()):
            if key == "inlineData" and isinstance(item, dict) and "data" in item:
                data = b64decode_any(item["data"])
                item = dict(item, data=f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
            out[key] = decoded_data(item)
        return out
    if isinstance(value, list):
        return [decoded_data(item) for item in value]
    return value


def check_fitview_request(base):
    sent = [r for r in recorded(base) if r["path"].endswith(":generateContent") and r["body"]]
    check("fitview sent a generateContent request", sent, "none recorded: run FitView first")
    request = sent[-1]
    body = request["body"]
    model = request["path"].rsplit("/models/", 1)[1].split(":", 1)[0]
    check(
        "fitview's top-level fields are generateContent fields",
        set(body) <= {"contents", "generationConfig"},
        sorted(body),
    )
    contents = [types.Content.model_validate_json(json.dumps(c)) for c in body["contents"]]
    check("types.Content accepts fitview's contents", len(contents) == 1)
    parts = contents[0].parts
    images = [p.inline_data for p in parts if p.inline_data is not None]
    check("fitview sends images then the prompt", len(images) >= 2 and parts[-1].text, parts)
    for blob in images:
        sniffed = (
            "image/png" if blob.data.startswith(PNG_MAGIC)
            else "image/jpeg" if blob.data.startswith(JPEG_MAGIC) else None
        )
        check(f"inline {blob.mime_type} holds that format", sniffed == blob.mime_type, sniffed)
    config = types.GenerateContentConfig.model_validate_json(json.dumps(body["generationConfig"]))
    check(
        "types.GenerateContentConfig accepts fitview's generationConfig",
        [str(m.value if hasattr(m, "value") else m).upper() for m in config.response_modalities]
        == ["IMAGE"]
        and config.image_config.aspect_ratio == "3:4"
        and config.image_config.image_size in ("1K", "2K", "4K"),
        config,
    )
    before = len(recorded(base))
    response = client(base).models.generate_content(model=model, contents=contents, config=config)
    replayed = recorded(base)[before:]
    check(
        "the SDK replays fitview's request to the same path",
        replayed[-1]["path"] == request["path"],
        f"{replayed[-1]['path']} != {request['path']}",
    )
    spelled = sorted(snake_keys(replayed[-1]["body"]))
    print(f"   the SDK spells these fields in snake_case: {spelled}")
    check(
        "the SDK sends the body fitview sends (field spelling and base64 alphabet aside)",
        decoded_data(replayed[-1]["body"]) == decoded_data(body),
        f"SDK {json.dumps(decoded_data(replayed[-1]['body']))[:900]}\n"
        f"FitView {json.dumps(decoded_data(body))[:900]}",
    )
    return model, response


def final_image(response):
    parts = response.candidates[0].content.parts
    images = [p for p in parts if p.inline_data is not None and not p.thought]
    return parts, images[-1]


def check_success(base, model, response):
    parts, final = final_image(response)
    check("success: finish reason STOP", response.candidates[0].finish_reason == types.FinishReason.STOP)
    check("success: final image part is a PNG", final.inline_data.data.startswith(PNG_MAGIC))
    check("success: final image carries its thought signature", final.thought_signature == b"fake-signature-B")
    thoughts = [p for p in parts if p.thought]
    check("success: gemini 3 sends an interim thought image first", thoughts and thoughts[0].inline_data)
    usage = response.usage_metadata
    check(
        "success: usage metadata parses",
        usage.candidates_token_count > 0 and usage.total_token_count >= usage.prompt_token_count,
        usage,
    )
    check("success: model version", response.model_version == model)
    lying = client(base, "jpeg-as-png").models.generate_content(
        model=model,
        contents="Put the garment on the person.",
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    _, final = final_image(lying)
    check(
        "jpeg-as-png: declared image/png, bytes are JPEG",
        final.inline_data.mime_type == "image/png" and final.inline_data.data.startswith(JPEG_MAGIC),
    )


REFUSALS = {
    "image-safety": types.FinishReason.IMAGE_SAFETY,
    "prohibited": types.FinishReason.PROHIBITED_CONTENT,
    "no-image": types.FinishReason.NO_IMAGE,
    "image-other": types.FinishReason.IMAGE_OTHER,
    "image-recitation": types.FinishReason.IMAGE_RECITATION,
    "safety": types.FinishReason.SAFETY,
    "text-only": types.FinishReason.STOP,
}


def no_image(response):
    parts = (response.candidates[0].content.parts if response.candidates[0].content else None) or []
    return not any(p.inline_data for p in parts)


def check_refusals(base, model):
    def ask(scenario):
        return client(base, scenario).models.generate_content(
            model=model,
            contents="Put the garment on the person.",
            config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
        )

    blocked = ask("blocked")
    check(
        "blocked: promptFeedback.blockReason PROHIBITED_CONTENT, no candidates",
        blocked.prompt_feedback.block_reason == types.BlockedReason.PROHIBITED_CONTENT
        and not blocked.candidates,
    )
    for scenario, reason in REFUSALS.items():
        response = ask(scenario)
        check(
            f"{scenario}: finish reason {reason.value} and no image",
            response.candidates[0].finish_reason == reason and no_image(response),
            response.candidates[0],
        )
    # google-genai 3.6.1 does not carry `finishMessage` over from Gemini API answers (its
    # Candidate has the field; the API-key converter leaves it out), so it is not checked here.
    check("text-only: the words reach response.text", bool(ask("text-only").text))
    check("empty-candidates: an empty list", not ask("empty-candidates").candidates)


def expect_error(name, call, kind, code, status, detail_type=None):
    try:
        call()
    except errors.APIError as err:
        details = (err.details or {}).get("error", {}).get("details", []) if isinstance(err.details, dict) else []
        types_seen = [d.get("@type", "") for d in details]
        check(
            f"{name}: {kind.__name__} {code} {status}",
            isinstance(err, kind) and err.code == code and err.status == status,
            f"{type(err).__name__} {err.code} {err.status}",
        )
        if detail_type:
            check(
                f"{name}: details carry {detail_type}",
                any(t.endswith(detail_type) for t in types_seen),
                types_seen,
            )
        return details
    raise AssertionError(f"{name}: no error raised")


def check_errors(base, model):
    def call(scenario=None, key=KEY, model=model):
        return lambda: client(base, scenario, key).models.generate_content(
            model=model, contents="Put the garment on the person."
        )

    details = expect_error(
        "quota", call("quota"), errors.ClientError, 429, "RESOURCE_EXHAUSTED", "google.rpc.RetryInfo"
    )
    delay = [d["retryDelay"] for d in details if d["@type"].endswith("RetryInfo")]
    check("quota: retryDelay is a proto duration", delay == ["3s"], delay)
    details = expect_error(
        "quota-daily", call("quota-daily"), errors.ClientError, 429, "RESOURCE_EXHAUSTED",
        "google.rpc.QuotaFailure",
    )
    quota_ids = [v["quotaId"] for d in details if d["@type"].endswith("QuotaFailure") for v in d["violations"]]
    check("quota-daily: a per-day quotaId", any("PerDay" in q for q in quota_ids), quota_ids)
    expect_error("bad key", call(key="AIzaWrongKey"), errors.ClientError, 400, "INVALID_ARGUMENT",
                 "google.rpc.ErrorInfo")
    expect_error("unknown model", call(model="gemini-3-pro-image-preview"), errors.ClientError, 404,
                 "NOT_FOUND")
    expect_error("forbidden", call("forbidden"), errors.ClientError, 403, "PERMISSION_DENIED")
    expect_error("precondition", call("precondition"), errors.ClientError, 400, "FAILED_PRECONDITION")
    expect_error("internal", call("internal"), errors.ServerError, 500, "INTERNAL")
    expect_error("overloaded", call("overloaded"), errors.ServerError, 503, "UNAVAILABLE")
    expect_error("deadline", call("deadline"), errors.ServerError, 504, "DEADLINE_EXCEEDED")
    try:
        call("bad-gateway")()
        raise AssertionError("bad-gateway: no error raised")
    except errors.ServerError as err:
        check("bad-gateway: an HTML 502 is a ServerError 502", err.code == 502, err)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gemini_sdk.py BASE_URL")
    base = sys.argv[1].rstrip("/")
    model, response = check_fitview_request(base)
    check_success(base, model, response)
    check_refusals(base, model)
    check_errors(base, model)
    print(f"gemini oracle: {CHECKS} checks passed (google-genai {genai.__version__})")


if __name__ == "__main__":
    main()
