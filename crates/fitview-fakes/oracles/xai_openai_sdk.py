#!/usr/bin/env python3
"""Keeps the xAI fake honest with the official `openai` Python SDK (xAI's REST image API is
OpenAI-shaped; xAI's own `xai-sdk` speaks gRPC and cannot reach a REST fake).

Usage: python3 xai_openai_sdk.py BASE_URL   (a running xAI fake, e.g. http://127.0.0.1:PORT)

Run by crates/fitview-fakes/tests/sdk_oracles.rs after FitView's `grok` provider has made one
try-on (a multi-image edit with `images` and `quality`), one edit (`/v1/images/edits`) and one
generation (`/v1/images/generations`) against the same fake.
It checks that

1. every field of FitView's request bodies (read back from the fake's `GET /_fake/requests`)
   is either an OpenAI image parameter whose value the SDK's own parameter types accept, or one
   of the fields xAI documents beyond OpenAI's (`aspect_ratio`, `resolution`, and `image` /
   `images` as JSON `{"url", "type": "image_url"}` objects); that `size` is never sent; and
   that the SDK sends the same bodies (generation through `images.generate` with
   `extra_body`, edit through the SDK's generic JSON `post`);
2. the SDK parses the fake's answers: `b64_json` images (JPEG), the data-URI variant, the
   `respect_moderation: false` placeholder, and every error (`APIStatusError` subclasses with
   the status, `Retry-After`, flat and nested bodies);
3. the SDK's own `images.edit()` sends multipart/form-data, which xAI documents as unsupported
   ("the xAI API requires application/json"): the fake refuses it like xAI, with 415.

Prints one `ok ...` line per check and exits non-zero at the first failure.
"""

import base64
import json
import os
import sys
import typing
import urllib.request

import openai
import pydantic
from openai import OpenAI
from openai.types import ImagesResponse, image_edit_params, image_generate_params

KEY = os.environ.get("FITVIEW_FAKE_KEY", "fitview-test-key")
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Fields xAI documents beyond OpenAI's image parameters (docs.x.ai images/generation, editing).
XAI_ONLY = {"aspect_ratio", "resolution", "image", "images"}
CHECKS = 0


def check(name, condition, detail=""):
    global CHECKS
    if not condition:
        raise AssertionError(f"{name}: {detail}")
    CHECKS += 1
    print(f"ok {name}")


def client(base, scenario=None, key=KEY, **options):
    headers = {"x-fake-scenario": scenario} if scenario else None
    return OpenAI(
        base_url=f"{base}/v1", api_key=key, max_retries=0, timeout=60, default_headers=headers,
        **options,
    )


def recorded(base):
    with urllib.request.urlopen(f"{base}/_fake/requests", timeout=30) as answer:
        return json.load(answer)


def openai_hints(params):
    hints = typing.get_type_hints(params)
    return {name: typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Required else hint
            for name, hint in hints.items()}


def check_fields(what, body, params):
    """Every field is an OpenAI parameter of an accepted value, or documented by xAI only."""
    hints = openai_hints(params)
    check(f"{what}: never sends size (xAI rejects it)", "size" not in body, body.keys())
    for name, value in body.items():
        if name in XAI_ONLY:
            continue
        check(f"{what}: `{name}` is an OpenAI image parameter", name in hints, sorted(hints))
        try:
            pydantic.TypeAdapter(hints[name]).validate_python(value, strict=True)
        except pydantic.ValidationError as err:
            raise AssertionError(f"{what}: the SDK's type of `{name}` rejects {value!r}: {err}")
        print(f"ok {what}: the SDK's type of `{name}` accepts {value!r}"[:160])
    extra = sorted(set(body) & XAI_ONLY)
    print(f"   {what}: xAI-only fields {extra}")


def image_object(value):
    """xAI's JSON image input: {"url": data URI, "type": "image_url"}; returns its bytes."""
    check("edit: image is an object with url and type image_url",
          isinstance(value, dict) and set(value) == {"url", "type"} and value["type"] == "image_url",
          value if not isinstance(value, dict) else sorted(value))
    head, data = value["url"].split(",", 1)
    check("edit: image url is a base64 data URI", head.startswith("data:image/") and head.endswith(";base64"), head)
    return base64.b64decode(data)


def check_fitview_requests(base):
    requests = recorded(base)
    all_edits = [r for r in requests if r["path"] == "/v1/images/edits" and r["body"]]
    tryons = [r for r in all_edits if "images" in r["body"]]
    edits = [r for r in all_edits if "images" not in r["body"]]
    generations = [r for r in requests if r["path"] == "/v1/images/generations" and r["body"]]
    check("fitview sent an edit and a generation", edits and generations, [r["path"] for r in requests])
    for request in edits + generations:
        check(f"{request['path']}: JSON", request["content_type"].startswith("application/json"),
              request["content_type"])

    edit = edits[-1]["body"]
    check_fields("edit", edit, image_edit_params.ImageEditParamsNonStreaming)
    check("edit: one input image, not `images`", "image" in edit and "images" not in edit, sorted(edit))
    pixels = image_object(edit["image"])
    check("edit: the input image is a JPEG or PNG", pixels.startswith((JPEG_MAGIC, PNG_MAGIC)))
    check("edit: asks for b64_json", edit["response_format"] == "b64_json")

    generation = generations[-1]["body"]
    check_fields("generation", generation, image_generate_params.ImageGenerateParamsNonStreaming)
    check("generation: no input image", not {"image", "images"} & set(generation))

    sdk = client(base)
    before = len(recorded(base))
    openai_fields = {k: v for k, v in generation.items() if k not in XAI_ONLY}
    xai_fields = {k: v for k, v in generation.items() if k in XAI_ONLY}
    sdk.images.generate(**openai_fields, extra_body=xai_fields)
    sdk.post("/images/edits", cast_to=ImagesResponse, body=edit)
    replayed = recorded(base)[before:]
    check("the SDK's images.generate sends fitview's generation body",
          replayed[0]["path"] == "/v1/images/generations" and replayed[0]["body"] == generation,
          replayed[0]["body"])
    check("the SDK's JSON post sends fitview's edit body",
          replayed[1]["path"] == "/v1/images/edits" and replayed[1]["body"] == edit)

    check("fitview sent a try-on edit", tryons, [sorted(r["body"]) for r in all_edits])
    tryon = tryons[-1]["body"]
    check_fields("try-on", tryon, image_edit_params.ImageEditParamsNonStreaming)
    check("try-on: `images`, not `image`", "image" not in tryon, sorted(tryon))
    sources = tryon["images"]
    check("try-on: the person and a garment, at most 5 sources",
          isinstance(sources, list) and 2 <= len(sources) <= 5, len(sources))
    for source in sources:
        check("try-on: each source is a JPEG or PNG",
              image_object(source).startswith((JPEG_MAGIC, PNG_MAGIC)))
    check("try-on: names its sources <IMAGE_0>, <IMAGE_1>",
          "<IMAGE_0>" in tryon["prompt"] and "<IMAGE_1>" in tryon["prompt"])
    before = len(recorded(base))
    answer = sdk.post("/images/edits", cast_to=ImagesResponse, body=tryon)
    replayed = recorded(base)[before:]
    check("the SDK's JSON post sends fitview's try-on body", replayed[0]["body"] == tryon)
    check("try-on: the SDK parses the answer's JPEG and cost",
          jpeg(answer.data[0].b64_json) and answer.usage is not None, answer.usage)


def jpeg(b64):
    return base64.b64decode(b64).startswith(JPEG_MAGIC)


def check_answers(base):
    sdk = client(base)
    response = sdk.images.generate(
        model="grok-imagine-image", prompt="an evening party scene", n=2,
        response_format="b64_json", extra_body={"aspect_ratio": "3:4", "resolution": "1k"},
    )
    check("generate: ImagesResponse with 2 images", isinstance(response, ImagesResponse) and len(response.data) == 2)
    check("generate: b64_json decodes to JPEG", all(jpeg(i.b64_json) for i in response.data))
    check("generate: xAI's mime_type survives as an extra field",
          (response.data[0].model_extra or {}).get("mime_type") == "image/jpeg", response.data[0])
    check("generate: created is a unix time", response.created > 1_700_000_000)
    # xAI's usage is {"cost_in_usd_ticks": N}; OpenAI's Usage model wants token counts. The SDK's
    # default (lenient) parsing keeps it; strict response validation rejects it.
    check("generate: usage.cost_in_usd_ticks readable", response.usage.model_extra.get("cost_in_usd_ticks") == 400_000_000,
          response.usage)
    try:
        client(base, _strict_response_validation=True).images.generate(
            model="grok-imagine-image", prompt="x", response_format="b64_json")
        raise AssertionError("strict validation accepted xAI's usage shape")
    except openai.APIResponseValidationError:
        check("documented difference: strict validation rejects xAI's usage shape", True)

    edited = sdk.post("/images/edits", cast_to=ImagesResponse, body={
        "model": "grok-imagine-image", "prompt": "make it formal", "response_format": "b64_json",
        "image": {"url": "data:image/png;base64," + base64.b64encode(tiny_png()).decode(), "type": "image_url"},
    })
    check("edit: JSON edit answers a JPEG", jpeg(edited.data[0].b64_json))

    prefixed = client(base, "data-uri").images.generate(model="grok-imagine-image", prompt="x", response_format="b64_json")
    head, data = prefixed.data[0].b64_json.split(",", 1)
    check("data-uri: the SDK hands the prefixed string through", head == "data:image/jpeg;base64" and jpeg(data))

    flagged = client(base, "moderation-flag").images.generate(model="grok-imagine-image", prompt="x", response_format="b64_json")
    check("moderation-flag: 200 with respect_moderation false and no bytes",
          flagged.data[0].b64_json == "" and flagged.data[0].model_extra.get("respect_moderation") is False)


def tiny_png():
    import zlib, struct
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + b"\x80\x40\x20" * 8 for _ in range(8))
    return (PNG_MAGIC + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def expect(name, call, kind, status):
    try:
        call()
    except openai.APIStatusError as err:
        check(f"{name}: {kind.__name__} {status}", isinstance(err, kind) and err.status_code == status,
              f"{type(err).__name__} {err.status_code} {err.body!r}"[:300])
        return err
    raise AssertionError(f"{name}: no error raised")


def check_errors(base):
    def generate(scenario=None, key=KEY, **fields):
        body = dict(model="grok-imagine-image", prompt="an evening party scene", response_format="b64_json")
        body.update(fields)
        return lambda: client(base, scenario, key).images.generate(**body)

    err = expect("moderated", generate("moderated"), openai.BadRequestError, 400)
    check("moderated: flat body, message in `error`", "content moderation" in str(err.body), err.body)
    check("moderated: flat body's `code` is xAI's text", err.response.json()["code"] == "Client specified an invalid argument")
    err = expect("rate-limited", generate("rate-limited"), openai.RateLimitError, 429)
    check("rate-limited: Retry-After header", err.response.headers.get("retry-after") == "2")
    err = expect("credits", generate("credits"), openai.RateLimitError, 429)
    check("credits: a bare JSON string body", isinstance(err.body, str) and "credits" in err.body, err.body)
    err = expect("internal", generate("internal"), openai.InternalServerError, 500)
    check("internal: nested OpenAI body's code and type", err.code == "internal_error" and err.type == "server_error")
    err = expect("bad key", generate(key="xai-wrong"), openai.BadRequestError, 400)
    check("bad key: Incorrect API key message", "Incorrect API key" in str(err.body), err.body)
    expect("size", generate(size="1024x1024"), openai.BadRequestError, 400)
    expect("unknown model", generate(model="grok-imagine-image-pro"), openai.NotFoundError, 404)
    try:
        generate("dropped")()
        raise AssertionError("dropped: no error raised")
    except AssertionError:
        raise
    except Exception as err:  # the SDK surfaces a cut body as its HTTP library's transport error
        check("dropped: a transport error, not a status error",
              not isinstance(err, openai.APIStatusError), repr(err))

    # The SDK's own images.edit() is multipart; xAI documents edits as JSON only.
    before = len(recorded(base))
    expect("images.edit (multipart)", lambda: client(base).images.edit(
        image=("tryon.png", tiny_png(), "image/png"), prompt="make it formal",
        model="grok-imagine-image", response_format="b64_json"),
        openai.APIStatusError, 415)
    sent = recorded(base)[before:]
    check("images.edit sends multipart/form-data to /v1/images/edits",
          sent[-1]["path"] == "/v1/images/edits" and sent[-1]["content_type"].startswith("multipart/form-data"),
          sent[-1]["content_type"])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: xai_openai_sdk.py BASE_URL")
    base = sys.argv[1].rstrip("/")
    check_fitview_requests(base)
    check_answers(base)
    check_errors(base)
    print(f"xai oracle: {CHECKS} checks passed (openai {openai.__version__})")


if __name__ == "__main__":
    main()
