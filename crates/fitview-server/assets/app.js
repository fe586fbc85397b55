// FitView shop: the few things pages do beyond HTML. Every page works without this script.
"use strict";

// A try-on in progress: ask for its status until it is done, then show the finished page.
// This is the one place that learns about job progress; a streamed status (server-sent
// events) can replace the polling here.
function watchJob(progress) {
  const events = progress.dataset.eventsUrl;
  if (events && window.EventSource) {
    const source = new EventSource(events);
    source.addEventListener("status", (message) => {
      const job = JSON.parse(message.data);
      progress.dataset.status = job.status;
      if (job.status === "succeeded" || job.status === "failed") {
        source.close();
        window.location.reload();
      }
    });
    // The stream broke (a proxy that buffers, the server restarting): ask by polling instead.
    source.onerror = () => { source.close(); pollJob(progress); };
    return;
  }
  pollJob(progress);
}

function pollJob(progress) {
  const url = progress.dataset.statusUrl;
  let delay = 700;
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.ok) {
        const status = await response.json();
        if (status.done) { window.location.reload(); return; }
      }
    } catch (_) { /* a network blip: ask again */ }
    delay = Math.min(delay * 1.3, 3000);
    window.setTimeout(poll, delay);
  };
  window.setTimeout(poll, delay);
}

// Zoom and pan of the result image: wheel, drag, pinch, and the keyboard (+, -, arrows, 0).
function zoomable(frame) {
  const img = frame.querySelector("img");
  let scale = 1, x = 0, y = 0;
  const pointers = new Map();
  let pinch = null;
  const apply = () => {
    const w = frame.clientWidth, h = frame.clientHeight;
    x = Math.min(0, Math.max(w - w * scale, x));
    y = Math.min(0, Math.max(h - h * scale, y));
    img.style.transform = `translate(${x}px, ${y}px) scale(${scale})`;
    frame.dataset.scale = scale.toFixed(2);
  };
  const zoomAt = (factor, cx, cy) => {
    const next = Math.min(5, Math.max(1, scale * factor));
    x = cx - (cx - x) * (next / scale);
    y = cy - (cy - y) * (next / scale);
    scale = next;
    apply();
  };
  frame.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = frame.getBoundingClientRect();
    zoomAt(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  frame.addEventListener("pointerdown", (e) => {
    frame.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
  });
  frame.addEventListener("pointermove", (e) => {
    const last = pointers.get(e.pointerId);
    if (!last) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      const r = frame.getBoundingClientRect();
      if (pinch) zoomAt(distance / pinch, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
      pinch = distance;
    } else {
      x += e.clientX - last.x;
      y += e.clientY - last.y;
      apply();
    }
  });
  const release = (e) => { pointers.delete(e.pointerId); pinch = null; };
  frame.addEventListener("pointerup", release);
  frame.addEventListener("pointercancel", release);
  frame.addEventListener("keydown", (e) => {
    const w = frame.clientWidth / 2, h = frame.clientHeight / 2, step = 40;
    const keys = {
      "+": () => zoomAt(1.25, w, h), "=": () => zoomAt(1.25, w, h), "-": () => zoomAt(0.8, w, h),
      "0": () => { scale = 1; x = 0; y = 0; apply(); },
      ArrowLeft: () => { x += step; apply(); }, ArrowRight: () => { x -= step; apply(); },
      ArrowUp: () => { y += step; apply(); }, ArrowDown: () => { y -= step; apply(); },
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  const reset = document.getElementById("zoom-reset");
  if (reset) reset.addEventListener("click", () => { scale = 1; x = 0; y = 0; apply(); });
  apply();
}

// The before/after slider: the range input moves the edge of the "after" image.
function compareSlider(box, slider) {
  const update = () => box.style.setProperty("--pos", `${slider.value}%`);
  slider.addEventListener("input", update);
  update();
}

document.addEventListener("DOMContentLoaded", () => {
  const progress = document.getElementById("tryon-progress");
  if (progress) watchJob(progress);
  const frame = document.getElementById("zoom");
  if (frame) zoomable(frame);
  const box = document.getElementById("compare");
  const slider = document.getElementById("compare-slider");
  if (box && slider) compareSlider(box, slider);
});
