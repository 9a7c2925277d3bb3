// The wait screen's script (render/job_html.cpp): follows the job live through
// the event stream, else (no EventSource, or the stream broke before a final state)
// long polls; every answer is the job JSON and only one with a greater version is
// applied. The job comes from the data-job attribute of <main id="job">, never from
// a <script> body. DOM updates go through textContent/setAttribute/style;
// innerHTML only takes the server-rendered (escaped) result fragment. The cancel
// form still posts (303 back here) when the script does not run.
(() => {
  "use strict";
  const root = document.getElementById("job");
  if (!root) return;
  let job;
  try {
    job = JSON.parse(root.getAttribute("data-job"));
  } catch (e) {
    return;
  }
  if (!job || typeof job.id !== "string") return;
  const el = (id) => document.getElementById(id);
  const isFinal = (state) => ["succeeded", "failed", "cancelled"].includes(state);
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // The job's URL as the server wrote it, with the prefix the site is mounted under.
  const base = root.getAttribute("data-url") || "/jobs/" + encodeURIComponent(job.id);
  const bar = el("job-bar");
  const fill = bar.querySelector(".progress-fill");
  // The markup gives the rendered progress only as aria-valuenow: a style attribute
  // would need a Content-Security-Policy with 'unsafe-inline'.
  if (bar.hasAttribute("aria-valuenow")) fill.style.width = bar.getAttribute("aria-valuenow") + "%";
  const cancelForm = el("job-cancel");
  const cancelStatus = el("job-cancel-status");
  const resultBox = el("job-result");
  // Elapsed time runs between the database's timestamps, so "now" is the server's
  // clock: its offset from ours when the page was rendered.
  const serverNow = Number(root.getAttribute("data-now"));
  const skew = serverNow > 0 ? serverNow - Date.now() : 0;
  let version = typeof job.version === "number" ? job.version : -1;
  let done = false;
  let source = null;
  let timer = null;
  let polling = false;

  // PostgreSQL gives up to six fraction digits and offsets such as "+05" or
  // "+05:53:28"; Date.parse is only specified for milliseconds and "+HH:MM".
  const parseTime = (s) => {
    if (typeof s !== "string" || s === "") return NaN;
    return Date.parse(s.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1")
                       .replace(/([+-]\d\d)$/, "$1:00").replace(/([+-]\d\d:\d\d):\d\d$/, "$1"));
  };
  // As format_elapsed in job_html.cpp: "12 s", "1 min 5 s", "2 h 0 min 3 s".
  const formatElapsed = (secs) => {
    const s = Math.max(0, Math.floor(secs));
    const m = Math.floor(s / 60) % 60;
    if (s >= 3600) return Math.floor(s / 3600) + " h " + m + " min " + (s % 60) + " s";
    if (s >= 60) return m + " min " + (s % 60) + " s";
    return s + " s";
  };
  const showElapsed = () => {
    const from = parseTime(job.state === "queued" ? job.created_at
                                                  : job.started_at || job.created_at);
    const to = isFinal(job.state) ? parseTime(job.finished_at) : Date.now() + skew;
    el("job-elapsed").textContent =
        isNaN(from) || isNaN(to) ? "" : formatElapsed((to - from) / 1000);
  };

  const render = () => {
    const state = String(job.state || "");
    root.setAttribute("data-state", state);
    const badge = el("job-state");
    badge.textContent = state;
    badge.className = "badge " + state;
    let p = state === "succeeded" ? 100 : job.progress;
    if (typeof p === "number" && isFinite(p)) {
      p = Math.min(100, Math.max(0, Math.round(p)));
      bar.setAttribute("aria-valuenow", String(p));
      bar.classList.remove("indeterminate");
      fill.style.width = p + "%";
      el("job-percent").textContent = p + "%";
    } else {
      bar.removeAttribute("aria-valuenow");
      bar.classList.toggle("indeterminate", !isFinal(state));
      fill.style.width = "";
      el("job-percent").textContent = "";
    }
    el("job-message").textContent = typeof job.message === "string" ? job.message : "";
    // "attempt 2 of 3" once a lost run made the job run again.
    const attempt = el("job-attempt");
    if (attempt) {
      const retried = Number.isInteger(job.attempt) && job.attempt >= 2;
      attempt.textContent = retried ? "attempt " + job.attempt + " of " + job.max_attempts : "";
      attempt.hidden = !retried;
    }
    showElapsed();
  };

  // Stops everything that follows the job; the EventSource must be closed or the
  // browser reconnects to it.
  const stop = () => {
    done = true;
    if (source) {
      source.close();
      source = null;
    }
    if (timer) {
      clearInterval(timer);
      timer = null;
    }
    if (cancelForm) cancelForm.hidden = true;
    if (cancelStatus) cancelStatus.textContent = "";
  };

  const showError = () => {
    const err = job.error;
    let message = "";
    let sqlstate = "";
    if (err && typeof err === "object") {
      message = String(err.message || "");
      sqlstate = String(err.sqlstate || "");
    } else if (typeof err === "string") {
      message = err;
    }
    el("job-error-message").textContent = message || "(no message)";
    const code = el("job-error-sqlstate");
    code.textContent = sqlstate;
    code.hidden = !sqlstate;
    el("job-error").hidden = false;
  };

  // The result as the server renders it for #job-result; a few tries, then a link.
  const loadResult = async () => {
    if (resultBox.childElementCount > 0) return;  // rendered with the page
    const url = base + "/result?format=html";
    for (let attempt = 1; ; attempt++) {
      try {
        const r = await fetch(url + "&fragment=1", {headers: {Accept: "text/html"}});
        if (!r.ok) throw new Error("HTTP " + r.status);
        resultBox.innerHTML = await r.text();  // server-rendered: every value escaped there
        return;
      } catch (e) {
        if (attempt >= 3) {
          const notice = document.createElement("p");
          notice.className = "notice error";
          notice.textContent = "The result could not be loaded (" + e.message + "). ";
          const link = document.createElement("a");
          link.href = url;
          link.textContent = "Open the result";
          notice.appendChild(link);
          resultBox.textContent = "";
          resultBox.appendChild(notice);
          return;
        }
        await sleep(1000);
      }
    }
  };

  const finish = () => {
    stop();
    if (job.state === "succeeded") loadResult();
    else if (job.state === "failed") showError();
    else if (job.state === "cancelled") el("job-cancelled").hidden = false;
  };

  // Applies a job JSON from the stream, a long poll or the cancel answer.
  const apply = (next) => {
    if (done || !next || typeof next !== "object") return false;
    if (typeof next.version !== "number" || next.version <= version) return false;
    version = next.version;
    job = next;
    render();
    if (isFinal(job.state)) finish();
    return true;
  };

  const gone = () => {
    stop();
    el("job-message").textContent = "This job no longer exists.";
  };

  // GET /jobs/ID/wait answers once the version passes `since`, or after the timeout
  // with the same version; errors are retried after a second (or Retry-After).
  const poll = async () => {
    if (polling) return;
    polling = true;
    while (!done) {
      const started = Date.now();
      let r;
      try {
        r = await fetch(base + "/wait?since=" + encodeURIComponent(version) + "&timeout=25",
                        {headers: {Accept: "application/json"}, cache: "no-store"});
      } catch (e) {
        await sleep(1000);
        continue;
      }
      if (r.status === 404) {
        gone();
        break;
      }
      if (!r.ok) {
        const after = Number(r.headers.get("Retry-After"));
        await sleep(after > 0 ? Math.min(after, 30) * 1000 : 1000);
        continue;
      }
      let applied = false;
      try {
        applied = apply(await r.json());
      } catch (e) {
        // not JSON: retried below
      }
      // An answer that came back at once without news must not become a busy loop.
      if (!applied && Date.now() - started < 1000) await sleep(1000);
    }
    polling = false;
  };

  const listen = () => {
    if (typeof window.EventSource !== "function") {
      poll();
      return;
    }
    source = new EventSource(base + "/events");
    const onEvent = (ev) => {
      try {
        apply(JSON.parse(ev.data));
      } catch (e) {
        // a malformed event is skipped
      }
    };
    source.addEventListener("progress", onEvent);
    source.addEventListener("state", onEvent);
    // The stream broke (or ended) before a final state: long-poll instead of letting
    // the browser reconnect.
    source.onerror = () => {
      if (done) return;
      if (source) {
        source.close();
        source = null;
      }
      poll();
    };
  };

  if (cancelForm) {
    cancelForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const button = cancelForm.querySelector("button");
      button.disabled = true;
      cancelStatus.textContent = "";
      let ok = false;
      try {
        const r = await fetch(base, {method: "DELETE", headers: {Accept: "application/json"}});
        ok = r.ok;
        if ((r.headers.get("Content-Type") || "").includes("json")) apply(await r.json());
        if (!done) cancelStatus.textContent = ok ? "Cancelling\u2026" : "Cancel failed (HTTP " + r.status + ").";
      } catch (e) {
        ok = false;
        if (!done) cancelStatus.textContent = "Cancel failed: " + e.message;
      }
      // Accepted: the next event brings the final state; refused: may try again.
      if (!done && !ok) button.disabled = false;
    });
  }

  if (isFinal(job.state)) {
    done = true;
    if (job.state === "succeeded") loadResult();
    return;
  }
  timer = setInterval(showElapsed, 1000);
  listen();
})();
