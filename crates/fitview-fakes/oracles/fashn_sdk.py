#!/usr/bin/env python3
"""Keeps the FASHN fake honest with FASHN's official Python SDK (`fashn`, generated from
FASHN's OpenAPI spec).

Usage: python3 fashn_sdk.py BASE_URL   (a running FASHN fake, e.g. http://127.0.0.1:PORT)

Run by crates/fitview-fakes/tests/sdk_oracles.rs after FitView's `fashn` provider has made one
try-on against the same fake. It checks that

1. FitView's `POST /v1/run` body (read back from the fake's `GET /_fake/requests`) is a
   `tryon-v1.6` request the SDK's own request types accept: `model_name` is the SDK's literal,
   every input is a field of `TryOnRequestInputs` whose value its type accepts (validated with
   pydantic against the SDK's TypedDict), the required inputs are there; and that the SDK's
   `predictions.run` sends the same body;
2. the SDK, with strict response validation, parses the fake's answers: the run id, pending and
   completed statuses (data-URI and URL outputs that are PNGs), every named runtime error the
   SDK knows, and the API errors as its exception classes (401, the three 429s, 500, 404).

Prints one `ok ...` line per check and exits non-zero at the first failure.
"""

import base64
import json
import os
import sys
import typing
import urllib.request

import pydantic
from fashn import (AuthenticationError, Fashn, InternalServerError, NotFoundError,
                   RateLimitError)
from fashn.types import prediction_run_params, prediction_status_response

KEY = os.environ.get("FITVIEW_FAKE_KEY", "fitview-test-key")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
PIXEL = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==")
CHECKS = 0


def check(name, condition, detail=""):
    global CHECKS
    if not condition:
        raise AssertionError(f"{name}: {detail}")
    CHECKS += 1
    print(f"ok {name}")


def client(base, scenario=None, key=KEY):
    headers = {"x-fake-scenario": scenario} if scenario else None
    return Fashn(api_key=key, base_url=base, max_retries=0, timeout=60,
                 default_headers=headers, _strict_response_validation=True)


def recorded(base):
    with urllib.request.urlopen(f"{base}/_fake/requests", timeout=30) as answer:
        return json.load(answer)


def runs(base):
    return [r["body"] for r in recorded(base) if r["path"].startswith("/v1/run")]


def poll(c, prediction_id):
    for _ in range(20):
        status = c.predictions.status(prediction_id)
        check(f"status `{status.status}` is a PredictionStatusResponse",
              isinstance(status, prediction_status_response.PredictionStatusResponse))
        if status.status not in ("starting", "in_queue", "processing"):
            return status
    raise AssertionError(f"{prediction_id} never finished")


def check_request(base):
    bodies = runs(base)
    check("fitview made one run", len(bodies) == 1, bodies)
    body = bodies[0]
    check("the body is model_name + inputs", set(body) == {"model_name", "inputs"}, sorted(body))
    hints = typing.get_type_hints(prediction_run_params.TryOnRequest, include_extras=True)
    model_literal = typing.get_args(typing.get_args(hints["model_name"])[0])
    check("model_name is the SDK's tryon-v1.6 literal", body["model_name"] in model_literal,
          (body["model_name"], model_literal))
    fields = typing.get_type_hints(prediction_run_params.TryOnRequestInputs)
    inputs = body["inputs"]
    for name in inputs:
        check(f"input `{name}` is a field of TryOnRequestInputs", name in fields, sorted(fields))
    try:
        pydantic.TypeAdapter(prediction_run_params.TryOnRequestInputs).validate_python(
            inputs, strict=True)
    except pydantic.ValidationError as err:
        raise AssertionError(f"TryOnRequestInputs rejects fitview's inputs: {err}") from err
    check("TryOnRequestInputs accepts fitview's inputs (types and enums, strictly)", True)
    for required in ("model_image", "garment_image"):
        check(f"`{required}` is a data URI", inputs[required].startswith("data:image/"))

    c = client(base)
    run = c.predictions.run(model_name=body["model_name"], inputs=inputs)
    check("run: the SDK parses the fake's answer", bool(run.id) and run.error is None, run)
    sdk_body = runs(base)[-1]
    check("the SDK sends the body fitview sends", sdk_body == body,
          json.dumps({"sdk": sdk_body, "fitview": body})[:600])
    return inputs


def check_answers(base, inputs):
    small = dict(inputs, model_image=PIXEL, garment_image=PIXEL, num_samples=1)
    c = client(base)
    done = poll(c, c.predictions.run(model_name="tryon-v1.6",
                                     inputs=dict(small, return_base64=True)).id)
    check("success: completed with one output", done.status == "completed" and len(done.output) == 1)
    data = done.output[0]
    check("success: the output is a PNG data URI",
          base64.b64decode(data.split(",", 1)[1]).startswith(PNG_MAGIC))

    done = poll(c, client(base, "url").predictions.run(model_name="tryon-v1.6", inputs=small).id)
    url = done.output[0]
    check("url: the output is an http URL", url.startswith("http"), url)
    with urllib.request.urlopen(url, timeout=30) as answer:
        check("url: the URL serves a PNG", answer.read().startswith(PNG_MAGIC))

    for scenario, name in [("moderated", "ContentModerationError"), ("pose", "PoseError"),
                           ("image-load", "ImageLoadError"),
                           ("validation", "InputValidationError"),
                           ("pipeline", "PipelineError")]:
        failed = poll(c, client(base, scenario).predictions.run(model_name="tryon-v1.6",
                                                               inputs=small).id)
        check(f"{scenario}: failed with the SDK's error name {name}",
              failed.status == "failed" and failed.error.name == name and failed.error.message,
              failed)

    for scenario, exception, status in [("rate-limited", RateLimitError, 429),
                                        ("concurrency", RateLimitError, 429),
                                        ("out-of-credits", RateLimitError, 429),
                                        ("internal", InternalServerError, 500)]:
        try:
            client(base, scenario).predictions.run(model_name="tryon-v1.6", inputs=small)
        except exception as err:
            check(f"{scenario}: {exception.__name__} {status}", err.status_code == status, err)
        else:
            raise AssertionError(f"{scenario}: no error")
    try:
        client(base, key="fa-wrong").predictions.run(model_name="tryon-v1.6", inputs=small)
    except AuthenticationError as err:
        check("wrong key: AuthenticationError 401", err.status_code == 401, err)
    try:
        c.predictions.status("no-such-prediction")
    except NotFoundError as err:
        check("unknown id: NotFoundError 404", err.status_code == 404, err)


def main():
    base = sys.argv[1].rstrip("/")
    inputs = check_request(base)
    check_answers(base, inputs)
    print(f"fashn oracle: {CHECKS} checks passed")


if __name__ == "__main__":
    main()
