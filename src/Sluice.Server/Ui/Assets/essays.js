// The essay grader's page: submits to POST /v1/essays, follows the job's Server-Sent Events for live progress and
// renders the result. No framework and no build step; user text only ever reaches the page as text nodes.
"use strict";

(() => {
  const STAGES = ["queued", "spelling", "grammar", "structure", "scoring", "feedback"];
  const TERMINAL = new Set(["completed", "failed", "cancelled", "expired", "dead_lettered"]);
  const FIELDS = { text: "text", prompt_id: "prompt", prompt_text: "prompt-text" };
  const KEY_STORE = "sluice.apiKey";
  // The essay being written ({ text, prompt, promptText }) and the grading asked for ({ key, id, text, prompt,
  // promptText }: id once the server named the job), kept in the tab's session storage so a reload or a visit to
  // another page does not lose the essay or its grading.
  const DRAFT_STORE = "sluice.essayDraft";
  const JOB_STORE = "sluice.essayJob";
  const EFFECTS = {
    info: "no penalty",
    penalty: "the flagged part is not scored and one point is taken off",
    cap: "scores are capped at the middle of each scale",
    minimum: "every score is set to the scale minimum",
  };
  const $ = (id) => document.getElementById(id);

  let run = null; // { id, controller, text, cancelled } of the job being followed
  let graded = null; // { text, suggestions, applied: [], buttons } of the result on show
  let leaving = false; // The page is being unloaded: the run is not over, only this page's view of it.
  let cancelGuardUntil = 0; // Until then, Enter or Space on Cancel is the key that pressed Grade, pressed again.

  function remember(key, value) {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Over the storage quota (a very long essay): an older copy must not come back in its place.
      sessionStorage.removeItem(key);
    }
  }

  function recall(key) {
    try {
      const value = JSON.parse(sessionStorage.getItem(key));
      return value && typeof value.text === "string" ? value : null;
    } catch {
      return null;
    }
  }

  // An Idempotency-Key for one press of Grade: the submit sent again after a reload names the same job. Random bytes
  // rather than crypto.randomUUID, which a page served over plain HTTP beyond localhost does not have.
  function newKey() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return "essay-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function saveDraft() {
    remember(DRAFT_STORE, { text: $("text").value, prompt: $("prompt").value, promptText: $("prompt-text").value });
  }

  function restoreEssay(essay) {
    $("text").value = essay.text;
    if (typeof essay.prompt === "string" && [...$("prompt").options].some((o) => o.value === essay.prompt)) $("prompt").value = essay.prompt;
    if (typeof essay.promptText === "string") {
      $("prompt-text").value = essay.promptText;
      if (essay.promptText !== "") $("prompt-text-box").open = true;
    }
  }

  function headers(json) {
    const h = {};
    if (json) h["content-type"] = "application/json";
    const key = $("api-key").value.trim();
    if (key) h.authorization = "Bearer " + key;
    return h;
  }

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function countWords(text) {
    const words = text.trim().split(/\s+/u).filter((w) => w.length > 0);
    return words.length;
  }

  function updateCounts() {
    const text = $("text").value;
    const n = countWords(text);
    $("counts").textContent = n + (n === 1 ? " word" : " words") + ", " + text.length + " characters";
  }

  function clearError() {
    $("error").hidden = true;
    $("error").textContent = "";
    for (const id of Object.values(FIELDS)) $(id).removeAttribute("aria-invalid");
  }

  function showError(message, field) {
    const box = $("error");
    box.textContent = message;
    box.hidden = false;
    const id = field && FIELDS[field];
    if (id) {
      const input = $(id);
      input.setAttribute("aria-invalid", "true");
      if (id === "prompt-text") $("prompt-text-box").open = true;
      input.focus();
    }
  }

  async function problemOf(response) {
    let body = null;
    try {
      body = await response.json();
    } catch {
      // Not JSON: fall back to the status line.
    }
    const detail = (body && (body.detail || body.title)) || response.status + " " + response.statusText;
    return { status: response.status, detail, field: body && body.field, retryAfter: response.headers.get("retry-after") };
  }

  // The server's detail is a clause ("rate limit … exceeded for key 'k'"): ended with a full stop before more is said.
  function sentence(text) {
    return /[.!?…]$/u.test(text) ? text : text + ".";
  }

  function explain(problem) {
    if (problem.status === 401) {
      $("key-box").open = true;
      $("api-key").focus();
      // With a key typed in, the server refused that key; without one, it needs one.
      return ($("api-key").value.trim() ? "The server refused this API key: " : "This server needs an API key: ") + problem.detail;
    }
    if (problem.status === 413) return "The essay is too long to send: " + problem.detail + ". Shorten it.";
    if (problem.status === 429 || problem.status === 503) {
      // Retry-After in seconds, as Sluice sends it (an HTTP date from a proxy is not worth spelling out).
      const seconds = /^\d+$/u.test(problem.retryAfter || "") ? Number(problem.retryAfter) : null;
      const wait = seconds === null ? "Try again in a moment." : "Try again in " + seconds + (seconds === 1 ? " second." : " seconds.");
      return sentence(problem.detail) + " " + wait;
    }
    return (problem.field ? problem.field + ": " : "") + problem.detail;
  }

  function setBusy(busy) {
    const focused = document.activeElement;
    $("grade").disabled = busy;
    $("cancel").hidden = !busy;
    // The button just pressed is disabled or hidden now: its counterpart takes the focus so a keyboard user keeps
    // their place (and can cancel with one more Enter) instead of being sent back to the top of the page.
    // A second press within half a second (a double press) is not taken as Cancel, nor is a held key's repeat.
    if (busy && focused === $("grade")) {
      cancelGuardUntil = performance.now() + 500;
      $("cancel").focus();
    }
    if (!busy && focused === $("cancel")) $("grade").focus({ preventScroll: true });
  }

  function resetProgress() {
    for (const li of $("stages").children) li.className = "";
    $("bar").value = 0;
    $("log").replaceChildren();
    $("status").textContent = "";
    $("status").className = "";
    $("progress").hidden = false;
  }

  function markStage(stage) {
    const index = STAGES.indexOf(stage);
    if (index < 0) return;
    const items = $("stages").children;
    for (let i = 0; i < items.length; i++) {
      if (i <= index) items[i].className = "done";
      else if (i === index + 1) items[i].className = "active";
    }
    $("bar").value = Math.max($("bar").value, index + 1);
  }

  function logEvent(type, data) {
    const li = el("li");
    li.append(el("time", new Date().toLocaleTimeString()), " ", el("strong", type));
    if (data && data.stage) li.append(" " + data.stage);
    if (data && data.batch_size) li.append(" (batch of " + data.batch_size + ")");
    li.dataset.event = type;
    if (data && data.stage) li.dataset.stage = data.stage;
    $("log").append(li);
  }

  function onEvent(type, data) {
    logEvent(type, data);
    switch (type) {
      case "queued":
        markStage("queued");
        $("status").textContent = "Waiting in the queue…";
        break;
      case "started":
        markStage("queued");
        $("status").textContent = data.batch_size > 1
          ? "Grading, together with " + (data.batch_size - 1) + " other essay(s) in one batch…"
          : "Grading…";
        break;
      case "progress":
        markStage(data.stage);
        break;
      case "retrying":
        $("status").textContent = "Retrying (attempt " + data.attempt + "): " + data.error;
        break;
      default:
        break;
    }
  }

  // Parses a Server-Sent Events body; calls onEvent per event and returns the last event id seen and the terminal event.
  async function readEvents(response, lastId) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let terminal = null;
    let event = { type: "message", data: "", id: null };
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/u, "");
        buffer = buffer.slice(newline + 1);
        if (line === "") {
          if (event.data !== "") {
            if (event.id !== null) lastId = event.id;
            const data = JSON.parse(event.data);
            onEvent(event.type, data);
            if (TERMINAL.has(event.type)) terminal = { type: event.type, data };
          }
          event = { type: "message", data: "", id: null };
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const name = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /u, "");
          if (name === "event") event.type = value;
          else if (name === "data") event.data += (event.data ? "\n" : "") + value;
          else if (name === "id") event.id = value;
        }
      }
    }
    return { lastId, terminal };
  }

  // Waits as long as the answer's Retry-After says (1 s without one, at most 30 s), or until the run is aborted.
  function pause(response, signal) {
    const seconds = Number(response && response.headers.get("retry-after"));
    const ms = Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 30) * 1000 : 1000;
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (signal) signal.addEventListener("abort", () => { clearTimeout(timer); resolve(); }, { once: true });
    });
  }

  // fetch that waits out a 429 or 503 a few times: reading or cancelling a job must not fail on the key's rate limit.
  async function fetchPatiently(url, options, signal) {
    for (let attempt = 0; ; attempt++) {
      const response = await fetch(url, options);
      if ((response.status !== 429 && response.status !== 503) || attempt >= 5 || (signal && signal.aborted)) return response;
      await pause(response, signal);
    }
  }

  // Follows the job's events to its terminal event, resuming with Last-Event-ID when the connection drops.
  async function follow(id, signal) {
    let lastId = null;
    let lost = null; // The status line from before the connection was lost, put back once it is regained.
    // Connections in a row that brought no event: about 30 s of them and the page stops waiting. A stream that
    // brings events resets it, so a long grading with a few dropped connections is followed to its end.
    let failures = 0;
    while (failures < 30) {
      const h = headers(false);
      if (lastId !== null) h["last-event-id"] = lastId;
      let response;
      try {
        response = await fetch("/v1/jobs/" + encodeURIComponent(id) + "/events", { headers: h, signal });
      } catch (e) {
        if (signal.aborted) throw e;
        failures++;
        if (lost === null) lost = $("status").textContent;
        $("status").textContent = "Lost the connection to the server; reconnecting…";
        await pause(null, signal);
        continue;
      }
      if (lost !== null) {
        $("status").textContent = lost;
        lost = null;
      }
      if (response.status === 204) break; // Already past the terminal event: read the job instead.
      if (response.status === 429 || response.status >= 500) {
        // A rate-limited key (the submit may have spent its last token) or the store or broker briefly away (503):
        // the job is safe, so keep following it once the server says to.
        failures++;
        await pause(response, signal);
        continue;
      }
      if (!response.ok) throw new Error(explain(await problemOf(response)));
      const before = lastId;
      try {
        const read = await readEvents(response, lastId);
        lastId = read.lastId;
        if (read.terminal) return read.terminal;
      } catch (e) {
        if (signal.aborted) throw e;
      }
      failures = lastId === before ? failures + 1 : 0;
      await new Promise((r) => setTimeout(r, 500));
    }
    let job;
    try {
      job = await fetchPatiently("/v1/jobs/" + encodeURIComponent(id), { headers: headers(false), signal });
    } catch (e) {
      if (signal.aborted) throw e;
      throw new Error("Lost contact with the server while grading. The essay may still be graded: try again in a while.");
    }
    if (!job.ok) throw new Error(explain(await problemOf(job)));
    const view = await job.json();
    if (view.status === "queued" || view.status === "running") {
      throw new Error("The server stopped sending progress; the essay is still " + view.status + ". It may still be graded: try again in a while.");
    }
    return { type: view.status === "succeeded" ? "completed" : view.status, data: view };
  }

  function outcomeMessage(terminal) {
    const d = terminal.data || {};
    switch (terminal.type) {
      case "cancelled": return "Grading was cancelled.";
      case "expired": return "The server was too busy to grade this essay before its deadline. Please try again.";
      case "dead_lettered": return "Grading failed repeatedly and was set aside for an operator: " + (d.error || "");
      default: return "Grading failed: " + (d.error || d.message || terminal.type);
    }
  }

  async function submit(event) {
    event.preventDefault();
    if (run) return;
    const essay = { key: newKey(), id: null, text: $("text").value, prompt: $("prompt").value, promptText: $("prompt-text").value };
    sessionStorage.setItem(KEY_STORE, $("api-key").value);
    saveDraft();
    // Before the request: a reload while it is on its way sends it again with the same key, which names the job the
    // first one may have created instead of leaving it unseen (or creating a second).
    remember(JOB_STORE, essay);
    await grade(essay);
  }

  // Grades the essay, or with essay.id follows the job already submitted for it (the page was reloaded meanwhile);
  // essay.key makes the submit idempotent, so sending it again after a reload gets the same job.
  async function grade(essay) {
    clearError();
    // The result on show belongs to the last grading; it comes back (or a new one does) when this one ends.
    $("result").hidden = true;
    const text = essay.text;
    const controller = new AbortController();
    const current = { id: essay.id, controller, text, cancelled: false };
    run = current;
    setBusy(true);
    resetProgress();
    $("status").textContent = essay.id ? "Following the grading started before the page was reloaded…" : "Submitting…";
    try {
      let job;
      let replayed = false;
      if (essay.id) {
        job = { id: essay.id, status: "queued" };
      } else {
        const body = { prompt_id: essay.prompt === "" ? null : Number(essay.prompt), text };
        if (essay.promptText.trim() !== "") body.prompt_text = essay.promptText;
        // Not abortable: once sent, the job may exist on the server, and only the answer names it for Cancel to delete.
        const h = headers(true);
        if (typeof essay.key === "string") h["idempotency-key"] = essay.key;
        const response = await fetch("/v1/essays", { method: "POST", headers: h, body: JSON.stringify(body) });
        if (current.cancelled) {
          if (response.status === 202) await cancelJob((await response.json()).id);
          $("status").textContent = "Cancelled.";
          return;
        }
        if (response.status !== 200 && response.status !== 202) {
          const problem = await problemOf(response);
          $("progress").hidden = true;
          // The body limit names the request body, which here is the essay.
          showError(explain(problem), problem.status === 413 ? "text" : problem.field);
          return;
        }
        job = await response.json();
        current.id = job.id;
        // The same key sent again after a reload: the job the first submit created, graded meanwhile, not a cache hit.
        replayed = response.headers.get("idempotent-replayed") === "true";
        // A reload from here on picks the job up again instead of losing it (or grading the essay twice).
        if (job.status !== "succeeded") remember(JOB_STORE, { ...essay, id: job.id });
      }
      $("result").dataset.jobId = job.id;
      let result;
      if (job.status === "succeeded" && !replayed) {
        // Answered from the result cache: nothing ran, so there are no stage events to show.
        markStage("feedback");
        logEvent("completed", { stage: "cached" });
        $("status").textContent = "Answered from the cache: this essay was graded before.";
        result = job.result;
      } else {
        const terminal = await follow(job.id, controller.signal);
        if (terminal.type !== "completed" || (terminal.data.status && terminal.data.status !== "succeeded")) {
          $("status").textContent = outcomeMessage(terminal);
          $("status").className = "failed";
          return;
        }
        result = terminal.data.result;
        // Every stage ran, even when the stream resumed after the end and its progress events were not seen.
        markStage("feedback");
        $("status").textContent = "Graded.";
      }
      $("status").className = "";
      render(result, text);
    } catch (e) {
      if (current.cancelled) {
        // Aborted by cancel, which says how it went; otherwise the submit itself failed after Cancel was pressed.
        if (!controller.signal.aborted) $("status").textContent = "Cancelled.";
      } else {
        // What the status line said ("reconnecting…", "Waiting in the queue…") is no longer going on.
        if (current.id) $("status").textContent = "Stopped waiting for the result.";
        showError(e && e.message ? e.message : String(e));
      }
    } finally {
      // Unloading aborts the run's requests without ending the job: the next page load follows it again.
      if (!leaving) sessionStorage.removeItem(JOB_STORE);
      run = null;
      setBusy(false);
    }
  }

  // Asks the server to cancel the job: "cancelled", "finished" (too late: it already ended) or "unreachable".
  async function cancelJob(id) {
    try {
      const response = await fetchPatiently("/v1/jobs/" + encodeURIComponent(id), { method: "DELETE", headers: headers(false) });
      if (response.status === 409) return "finished";
      return response.ok || response.status === 404 ? "cancelled" : "unreachable";
    } catch {
      return "unreachable";
    }
  }

  async function cancel(event) {
    // detail 0: a click made by a key, not by a pointer.
    if (event && event.detail === 0 && performance.now() < cancelGuardUntil) return;
    if (!run || run.cancelled) return;
    const current = run;
    current.cancelled = true;
    $("status").textContent = "Cancelling…";
    // Still submitting: the job has no id yet, so submit cancels it as soon as the server's answer names it.
    if (!current.id) return;
    const outcome = await cancelJob(current.id);
    if (outcome === "finished") {
      // It ended first: the events being followed bring its outcome, which is shown as usual.
      current.cancelled = false;
      return;
    }
    current.controller.abort();
    $("status").textContent = outcome === "cancelled"
      ? "Cancelled."
      : "Stopped following, but the server could not be reached to cancel the job: it may still be graded.";
  }

  function format(n, digits) {
    return typeof n === "number" ? Number(n.toFixed(digits)).toString() : String(n);
  }

  function render(result, text) {
    graded = { text, suggestions: [], applied: [], buttons: [] };
    $("stale").hidden = true;
    delete $("stale").dataset.handEdited;
    $("result").hidden = false;

    const s = result.score;
    if (s.score === null || s.score === undefined) {
      $("score-value").textContent = format(s.normalized, 2);
      $("score-range").textContent = " on 0–1 (prompt-independent)";
    } else {
      $("score-value").textContent = String(s.score);
      $("score-range").textContent = " / " + s.max + " (scale " + s.min + "–" + s.max + ")";
    }
    $("score-meter").value = s.normalized;

    const flags = $("flags");
    flags.replaceChildren();
    for (const f of result.flags || []) {
      const li = el("li", null, "flag flag-" + f.effect);
      li.dataset.code = f.code;
      li.append(el("strong", f.code.replaceAll("_", " ")), " — " + f.message + " ", el("em", "(" + (EFFECTS[f.effect] || f.effect) + ")"));
      flags.append(li);
    }

    const traits = $("traits").tBodies[0];
    traits.replaceChildren();
    for (const t of result.traits || []) {
      const tr = el("tr");
      tr.dataset.trait = t.key;
      tr.append(el("td", t.label), el("td", t.score), el("td", t.min + "–" + t.max));
      traits.append(tr);
    }
    $("traits").hidden = (result.traits || []).length === 0;

    // Suggestions come ordered by start; overlapping ones are listed but only the first is marked in the text.
    const list = $("suggestions");
    list.replaceChildren();
    const annotated = $("annotated");
    annotated.replaceChildren();
    let at = 0;
    (result.suggestions || []).forEach((g, i) => {
      graded.suggestions.push(g);
      const li = el("li", null, "suggestion cat-" + g.category);
      li.id = "suggestion-" + i;
      li.tabIndex = -1; // Focused from its mark in the essay, so the next Tab reaches its Apply button.
      li.dataset.rule = g.rule;
      li.append(el("span", g.category, "badge"), " ", el("span", g.message, "message"));
      const quote = text.slice(g.start, g.start + g.length);
      if (quote) li.append(" ", el("q", quote));
      if (g.replacement !== null && g.replacement !== undefined) {
        li.append(" → ", el("code", g.replacement || "(remove)"));
        const apply = el("button", "Apply", "apply");
        apply.type = "button";
        // Heard on its own (tabbing through the list), "Apply" would not say which of the fixes it applies.
        apply.setAttribute("aria-label", g.replacement
          ? "Apply: \u201c" + quote + "\u201d \u2192 \u201c" + g.replacement + "\u201d"
          : "Apply: remove \u201c" + quote + "\u201d");
        apply.addEventListener("click", () => applySuggestion(i, apply));
        graded.buttons[i] = apply;
        li.append(" ", apply);
      }
      list.append(li);

      if (g.start >= at && g.length > 0) {
        annotated.append(text.slice(at, g.start));
        const mark = el("mark", quote, "cat-" + g.category);
        mark.title = g.message;
        mark.dataset.suggestion = String(i);
        mark.tabIndex = 0;
        const reveal = () => {
          const target = $("suggestion-" + i);
          target.scrollIntoView({ block: "nearest" });
          target.focus({ preventScroll: true });
          target.classList.add("focus");
          setTimeout(() => target.classList.remove("focus"), 1500);
        };
        mark.addEventListener("click", reveal);
        mark.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            reveal();
          }
        });
        annotated.append(mark);
        at = g.start + g.length;
      }
    });
    annotated.append(text.slice(at));
    $("suggestion-count").textContent = "(" + (result.suggestions || []).length + ")";

    const stats = $("statistics");
    stats.replaceChildren();
    for (const [name, value] of Object.entries(result.statistics || {})) {
      stats.append(el("dt", name.replaceAll("_", " ")), el("dd", format(value, 2)));
    }

    const drivers = $("drivers").tBodies[0];
    drivers.replaceChildren();
    for (const d of result.drivers || []) {
      const tr = el("tr");
      tr.append(el("td", d.feature), el("td", format(d.value, 3)), el("td", format(d.typical, 3)),
        el("td", (d.effect > 0 ? "+" : "") + format(d.effect, 2), d.effect >= 0 ? "up" : "down"));
      drivers.append(tr);
    }
    $("drivers").hidden = (result.drivers || []).length === 0;
    // Typed into while it was being graded: the offsets describe the text as sent, not the box, so Apply is off.
    if ($("text").value !== text) onHandEdit();
    $("result").scrollIntoView({ block: "start" });
  }

  // Applies one replacement to the essay box. Earlier applied edits shift the later offsets; a hand edit makes the
  // offsets unknowable, so Apply is then switched off until the essay is graded again.
  function applySuggestion(index, button) {
    if (!graded || $("stale").dataset.handEdited === "true") return;
    const g = graded.suggestions[index];
    let shift = 0;
    for (const a of graded.applied) {
      if (a.start + a.length > g.start && a.start < g.start + g.length) return; // Overlaps an applied edit.
      if (a.start < g.start) shift += a.replacement.length - a.length;
    }
    const box = $("text");
    const start = g.start + shift;
    box.value = box.value.slice(0, start) + g.replacement + box.value.slice(start + g.length);
    graded.applied.push(g);
    button.disabled = true;
    button.textContent = "Applied";
    button.setAttribute("aria-label", button.getAttribute("aria-label").replace(/^Apply:/u, "Applied:"));
    // Fixes of the same words can no longer apply: switched off rather than left to do nothing when clicked.
    graded.suggestions.forEach((other, j) => {
      const b = graded.buttons[j];
      if (b && !b.disabled && other.start < g.start + g.length && g.start < other.start + other.length) {
        b.disabled = true;
        b.title = "Overlaps a fix already applied";
      }
    });
    $("stale").hidden = false;
    updateCounts();
    saveDraft();
  }

  function onHandEdit() {
    updateCounts();
    saveDraft();
    if (graded) {
      $("stale").hidden = false;
      $("stale").dataset.handEdited = "true";
      for (const b of document.querySelectorAll("#suggestions button.apply")) b.disabled = true;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("api-key").value = sessionStorage.getItem(KEY_STORE) || "";
    $("essay-form").addEventListener("submit", submit);
    $("cancel").addEventListener("click", cancel);
    $("cancel").addEventListener("keydown", (e) => {
      if ((e.key === "Enter" || e.key === " ") && e.repeat) e.preventDefault();
    });
    $("text").addEventListener("input", onHandEdit);
    $("prompt-text").addEventListener("input", () => {
      saveDraft();
      // Copying from the prompt is judged against this text: the flags and scores may no longer hold, the offsets do.
      if (graded) $("stale").hidden = false;
    });
    $("prompt").addEventListener("change", () => {
      clearError();
      saveDraft();
      // Graded for another prompt: the offsets still hold (Apply stays on), but the scores are for the old prompt.
      if (graded) $("stale").hidden = false;
    });
    window.addEventListener("pagehide", () => { leaving = true; });
    window.addEventListener("pageshow", () => { leaving = false; });
    // The essay as last written in this tab (unless the browser already put it back), then the grading it was
    // waiting for, if any: followed from its first event, so its progress and result show as if never left.
    const draft = recall(DRAFT_STORE);
    if (draft && $("text").value === "") restoreEssay(draft);
    const pending = recall(JOB_STORE);
    updateCounts();
    document.body.dataset.ready = "true";
    if (pending && (typeof pending.id === "string" || typeof pending.key === "string")) {
      if ($("text").value === "") restoreEssay(pending);
      grade(pending);
    }
  });
})();
