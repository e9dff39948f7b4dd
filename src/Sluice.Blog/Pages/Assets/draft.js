// "Draft with AI" on the new post page: posts the form's title and outline to /drafts (the blog relays Sluice's
// Server-Sent Events; the API key stays on the server) and writes the post into the body as it is generated.
(() => {
  "use strict";
  const form = document.getElementById("post-form");
  const draftButton = document.getElementById("draft");
  const cancelButton = document.getElementById("cancel-draft");
  const status = document.getElementById("draft-status");
  const body = document.getElementById("body");
  if (!form || !draftButton) return;

  let jobId = null;
  let controller = null;

  const setState = (state, text) => {
    status.dataset.state = state;
    status.textContent = text;
    const busy = state === "starting" || state === "streaming";
    draftButton.disabled = busy;
    cancelButton.hidden = !busy;
  };

  const token = () => form.querySelector("input[name=__RequestVerificationToken]").value;

  const markField = (field) => {
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const el = field && document.getElementById(field);
    if (el) el.setAttribute("aria-invalid", "true");
  };

  // One Server-Sent Event block ("event: x\ndata: {...}"); returns true at a terminal event.
  let runs = 0;
  const handle = (block) => {
    let event = "message";
    const data = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") event = value;
      else if (name === "data") data.push(value);
    }
    if (data.length === 0) return false;
    const payload = JSON.parse(data.join("\n"));
    switch (event) {
      case "job":
        jobId = payload.id;
        status.dataset.jobId = jobId;
        return false;
      case "started":
        // A retried run writes from the beginning again.
        if (runs++ > 0) body.value = "";
        setState("streaming", "Writing…");
        return false;
      case "delta":
        body.value += payload.text;
        body.scrollTop = body.scrollHeight;
        setState("streaming", "Writing…");
        return false;
      case "completed":
        setState("done", "Draft ready: edit it, then save.");
        return true;
      case "cancelled":
        setState("cancelled", "Stopped.");
        return true;
      case "failed": case "expired": case "dead_lettered":
        setState("error", "The draft failed: " + (payload.error || event));
        return true;
      case "relay_error":
        setState("error", "The draft failed: " + payload.error);
        return true;
      default:
        return false;
    }
  };

  draftButton.addEventListener("click", async () => {
    markField(null);
    jobId = null;
    runs = 0;
    controller = new AbortController();
    setState("starting", "Asking the model…");
    const data = new FormData();
    data.append("__RequestVerificationToken", token());
    data.append("title", document.getElementById("title").value);
    data.append("outline", document.getElementById("outline").value);
    let ended = false;
    try {
      const response = await fetch("/drafts", { method: "POST", body: data, signal: controller.signal });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        markField(problem.field);
        setState("error", (problem.field ? problem.field + ": " : "") + (problem.detail || problem.title || ("HTTP " + response.status)));
        return;
      }
      body.value = "";
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      while (!ended) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
        let end;
        while (!ended && (end = buffer.indexOf("\n\n")) >= 0) {
          ended = handle(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
      if (!ended) setState("error", "The stream ended before the draft did.");
    } catch (e) {
      if (e.name === "AbortError") setState("cancelled", "Stopped.");
      else setState("error", "The draft failed: " + e.message);
    }
  });

  // "Suggest an outline": Sluice's blog-outline task writes one for the title (the blog waits for it).
  const suggestButton = document.getElementById("suggest-outline");
  suggestButton.addEventListener("click", async () => {
    markField(null);
    suggestButton.disabled = true;
    setState("outlining", "Outlining…");
    const data = new FormData();
    data.append("__RequestVerificationToken", token());
    data.append("title", document.getElementById("title").value);
    try {
      const response = await fetch("/outlines", { method: "POST", body: data });
      const answer = await response.json().catch(() => ({}));
      if (!response.ok) {
        markField(answer.field);
        setState("error", (answer.field ? answer.field + ": " : "") + (answer.detail || answer.title || ("HTTP " + response.status)));
        return;
      }
      document.getElementById("outline").value = answer.outline;
      setState("outlined", "Outline ready: edit it, then draft.");
    } catch (e) {
      setState("error", "The outline failed: " + e.message);
    } finally {
      suggestButton.disabled = false;
    }
  });

  cancelButton.addEventListener("click", async () => {
    if (!jobId) {
      controller?.abort();
      return;
    }
    const data = new FormData();
    data.append("__RequestVerificationToken", token());
    const response = await fetch("/drafts/" + encodeURIComponent(jobId) + "/cancel", { method: "POST", body: data }).catch(() => null);
    // Not told? Closing the stream makes Sluice cancel the job all the same.
    if (!response || !response.ok) controller?.abort();
  });

  document.body.dataset.ready = "true";
})();
