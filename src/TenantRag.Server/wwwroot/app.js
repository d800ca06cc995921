// TenantRag web page: sign in, upload, list and delete documents, ask with a streamed, cited answer, usage.
// Plain DOM, no dependencies; every value from the server goes in through textContent, never innerHTML.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("tenantrag.token");

  async function api(path, options = {}) {
    const headers = Object.assign({ Authorization: `Bearer ${token}` }, options.headers || {});
    const response = await fetch(path, Object.assign({}, options, { headers }));
    if (response.status === 401) { signOut("Your session expired or the token is not valid. Sign in again."); throw new Error("unauthorized"); }
    if (!response.ok && response.status !== 204) {
      let detail = `${response.status} ${response.statusText}`;
      try { const problem = await response.json(); detail = problem.detail || problem.title || detail; } catch { /* not JSON */ }
      throw new Error(detail);
    }
    return response;
  }

  function claims(jwt) {
    try { return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return {}; }
  }

  function show() {
    const signedIn = Boolean(token);
    $("signin").hidden = signedIn;
    $("app").hidden = !signedIn;
    $("signout").hidden = !signedIn;
    $("who").hidden = !signedIn;
    if (signedIn) {
      const c = claims(token);
      $("who").textContent = `${c.sub || "?"} @ ${c.tenant_id || "?"}`;
      refresh();
    }
  }

  function signOut(message) {
    token = null;
    sessionStorage.removeItem("tenantrag.token");
    $("signin-error").textContent = message || "";
    show();
  }

  async function refresh() {
    await Promise.all([loadDocuments(), loadUsage()]).catch((e) => { $("upload-status").textContent = e.message; });
  }

  function size(bytes) {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  }

  // A page at a time (newest first); "More" follows the page's cursor.
  async function loadDocuments(cursor) {
    const page = await (await api(cursor ? `/v1/documents?cursor=${encodeURIComponent(cursor)}` : "/v1/documents")).json();
    const list = $("documents");
    if (!cursor) list.replaceChildren();
    $("documents-more").hidden = !page.next;
    $("documents-more").dataset.cursor = page.next || "";
    if (!cursor && page.documents.length === 0) {
      const empty = document.createElement("li");
      empty.className = "hint";
      empty.textContent = "No documents yet: upload one above.";
      list.append(empty);
    }
    for (const d of page.documents) {
      const item = document.createElement("li");
      const text = document.createElement("div");
      const title = document.createElement("div");
      title.textContent = d.title;
      const meta = document.createElement("div");
      meta.className = "meta";
      const source = d.fileName ? `${d.fileName} · ` : "";
      meta.textContent = `${source}${size(d.byteSize)} · ${d.visibility === "private" ? "private" : "tenant"} · ${d.owner} · ${new Date(d.createdAt).toLocaleString()}`;
      text.append(title, meta);
      const remove = document.createElement("button");
      remove.className = "small";
      remove.textContent = "Delete";
      remove.addEventListener("click", async () => {
        try { await api(`/v1/documents/${encodeURIComponent(d.id)}`, { method: "DELETE" }); await refresh(); }
        catch (e) { $("upload-status").textContent = `Could not delete: ${e.message}`; }
      });
      item.append(text, remove);
      list.append(item);
    }
  }

  async function loadUsage() {
    const usage = await (await api("/v1/usage")).json();
    const list = $("usage");
    list.replaceChildren();
    for (const [key, value] of Object.entries(usage)) {
      if (typeof value !== "number") continue;
      const box = document.createElement("div");
      const dt = document.createElement("dt");
      dt.textContent = key;
      const dd = document.createElement("dd");
      dd.textContent = value.toLocaleString();
      box.append(dt, dd);
      list.append(box);
    }
  }

  function upload(file, visibility) {
    return new Promise((resolve, reject) => {
      const form = new FormData();
      form.append("file", file);
      form.append("visibility", visibility);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", "/v1/documents");
      xhr.setRequestHeader("Authorization", `Bearer ${token}`);
      xhr.setRequestHeader("Prefer", "wait=60"); // the upload is a job: wait for its outcome
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) $("upload-progress").value = Math.round((100 * e.loaded) / e.total); };
      xhr.onload = () => {
        if (xhr.status >= 200 && xhr.status < 300) { resolve(JSON.parse(xhr.responseText || "{}")); return; }
        let detail = `${xhr.status}`;
        try { const p = JSON.parse(xhr.responseText); detail = p.detail || p.title || detail; } catch { /* not JSON */ }
        reject(new Error(detail));
      };
      xhr.onerror = () => reject(new Error("network error"));
      xhr.send(form);
    });
  }

  function renderAnswer(text, citations) {
    const box = $("answer");
    box.replaceChildren();
    // Turn [n] markers into links to the numbered citations.
    const parts = text.split(/(\[\d+\])/);
    for (const part of parts) {
      const m = /^\[(\d+)\]$/.exec(part);
      if (m && citations.some((c) => c.number === Number(m[1]))) {
        const a = document.createElement("a");
        a.href = `#cite-${m[1]}`;
        a.className = "cite";
        a.textContent = part;
        a.addEventListener("click", (e) => {
          e.preventDefault();
          document.querySelectorAll(".citations li").forEach((li) => li.classList.remove("focus"));
          const target = $(`cite-${m[1]}`);
          if (target) { target.classList.add("focus"); target.scrollIntoView({ block: "nearest" }); }
        });
        box.append(a);
      } else {
        box.append(document.createTextNode(part));
      }
    }
    const list = $("citations");
    list.replaceChildren();
    for (const c of citations) {
      const li = document.createElement("li");
      li.id = `cite-${c.number}`;
      li.value = c.number;
      li.textContent = `${c.documentTitle} (chunk ${c.chunk})`;
      list.append(li);
    }
  }

  async function ask(question) {
    $("answer").textContent = "…";
    $("citations").replaceChildren();
    const response = await api("/v1/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ question, k: 5 }),
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "", text = "", citations = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary;
      while ((boundary = buffer.indexOf("\n\n")) >= 0) {
        const raw = buffer.slice(0, boundary);
        buffer = buffer.slice(boundary + 2);
        const event = /^event: (.*)$/m.exec(raw)?.[1] || "message";
        const data = raw.split("\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
        if (!data) continue;
        const payload = JSON.parse(data);
        if (event === "citations") citations = payload;
        else if (event === "delta") text += payload.text;
        else if (event === "answer") text = payload.text;
        else if (event === "error") text = payload.detail || "error";
        renderAnswer(text, citations);
      }
    }
    renderAnswer(text || "No answer.", citations);
    loadUsage().catch(() => {});
  }

  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("tenantrag.token", token);
    $("signin-error").textContent = "";
    show();
  });

  $("dev-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const response = await fetch("/auth/dev-token", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ tenant: $("dev-tenant").value.trim(), user: $("dev-user").value.trim() }),
      });
      const body = await response.json();
      if (!response.ok) throw new Error(body.detail || body.title || response.statusText);
      token = body.token;
      sessionStorage.setItem("tenantrag.token", token);
      $("signin-error").textContent = "";
      show();
    } catch (err) { $("signin-error").textContent = err.message; }
  });

  $("signout").addEventListener("click", () => signOut());

  $("upload-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const files = [...$("file").files];
    if (files.length === 0) { $("upload-status").textContent = "Choose a file first."; return; }
    $("upload-progress").hidden = false;
    for (const file of files) {
      $("upload-progress").value = 0;
      $("upload-status").textContent = `Uploading ${file.name}…`;
      try {
        const result = await upload(file, $("visibility").value);
        $("upload-status").textContent = `${file.name}: ${result.outcome || "stored"}${result.chunks !== undefined ? `, ${result.chunks} chunks` : ""}`;
      } catch (err) { $("upload-status").textContent = `${file.name}: ${err.message}`; }
    }
    $("upload-progress").hidden = true;
    $("file").value = "";
    await refresh();
  });

  $("documents-more").addEventListener("click", async () => {
    try { await loadDocuments($("documents-more").dataset.cursor); }
    catch (e) { $("upload-status").textContent = e.message; }
  });

  $("ask-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    try { await ask($("question").value.trim()); } catch (err) { $("answer").textContent = err.message; }
  });

  fetch("/auth/config").then((r) => r.json()).then((c) => { $("dev-form").hidden = !c.developmentIssuer; }).catch(() => {});
  show();
})();
