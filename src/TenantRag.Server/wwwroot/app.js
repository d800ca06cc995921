// TenantRag web page: sign in, upload (each file a job), list, filter, open and delete documents, ask with a streamed
// answer whose citations open the cited passage, usage. Plain DOM, no dependencies; every value from the server goes
// in through textContent, never innerHTML.
import { api, session, readEvents } from "./api.js";
import { initUploads, loadUploads, clearUploads, uploadFiles } from "./jobs.js";
import { openDocument, closeViewer } from "./viewer.js";

const $ = (id) => document.getElementById(id);
const FilterDelayMs = 250;

let listing = 0;       // the document list being shown: answers of an older listing are dropped
let filterTimer = null;
let refreshTimer = null;

function claims(jwt) {
  try { return JSON.parse(atob(jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return {}; }
}

// Before sign-in only the sign-in shows: everything else is hidden (so neither seen nor focusable) and emptied.
function show() {
  const c = session.token ? claims(session.token) : null;
  if (c && typeof c.exp === "number" && c.exp * 1000 <= Date.now()) { signOut("Your session expired. Sign in again."); return; }
  const signedIn = Boolean(session.token);
  $("signin").hidden = signedIn;
  $("app").hidden = !signedIn;
  $("signout").hidden = !signedIn;
  $("who").hidden = !signedIn;
  if (signedIn) {
    $("who").textContent = `${c.sub || "?"} @ ${c.tenant_id || "?"}`;
    refresh();
    loadUploads().catch(failed);
  }
}

function signOut(message) {
  session.set(null);
  listing++;
  clearUploads();
  closeViewer();
  if ($("confirm-delete").open) $("confirm-delete").close();
  for (const id of ["documents", "answer", "citations", "usage"]) $(id).replaceChildren();
  for (const id of ["documents-filter", "question"]) $(id).value = "";
  for (const id of ["upload-status", "who"]) $(id).textContent = "";
  $("documents-more").hidden = true;
  $("signin-error").textContent = message || "";
  show();
}

session.onUnauthorized(signOut);

function failed(e) {
  if (e.name === "AbortError" || e.status === 401) return;
  $("upload-status").textContent = e.message;
}

function refresh() {
  Promise.all([loadDocuments(), loadUsage()]).catch(failed);
}

// Jobs finishing together refresh the list once.
function documentsChanged() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 300);
}

function size(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function confirmDelete(title) {
  const dialog = $("confirm-delete");
  $("confirm-delete-text").textContent = `Delete “${title}”? It is no longer found by searches or answers, for anyone.`;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "delete"), { once: true }));
}

function documentRow(d) {
  const item = document.createElement("li");
  const text = document.createElement("div");
  const title = document.createElement("button");
  title.type = "button";
  title.className = "link title doc-open";
  title.textContent = d.title;
  title.addEventListener("click", () => openDocument(d.id, { title: d.title }));
  const meta = document.createElement("div");
  meta.className = "meta";
  const source = d.fileName ? `${d.fileName} · ` : "";
  meta.textContent = `${source}${size(d.byteSize)} · ${d.visibility === "private" ? "private" : "tenant"} · ${d.owner} · ${new Date(d.createdAt).toLocaleString()}`;
  text.append(title, meta);
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "small doc-delete";
  remove.textContent = "Delete";
  remove.setAttribute("aria-label", `Delete ${d.title}`);
  remove.addEventListener("click", async () => {
    if (!(await confirmDelete(d.title))) return;
    try { await api(`/v1/documents/${encodeURIComponent(d.id)}`, { method: "DELETE" }); refresh(); }
    catch (e) { if (e.name !== "AbortError" && e.status !== 401) $("upload-status").textContent = `Could not delete “${d.title}”: ${e.message}`; }
  });
  item.append(text, remove);
  return item;
}

// A page at a time (newest first), filtered by the box's text; "More" follows the page's cursor.
async function loadDocuments(cursor) {
  const ticket = cursor ? listing : ++listing;
  const q = $("documents-filter").value.trim();
  const query = new URLSearchParams();
  if (q) query.set("q", q);
  if (cursor) query.set("cursor", cursor);
  const page = await (await api(`/v1/documents${query.toString() ? `?${query}` : ""}`)).json();
  if (ticket !== listing) return;
  const list = $("documents");
  if (!cursor) list.replaceChildren();
  $("documents-more").hidden = !page.next;
  $("documents-more").dataset.cursor = page.next || "";
  if (!cursor && page.documents.length === 0) {
    const empty = document.createElement("li");
    empty.className = "hint";
    empty.textContent = q ? `No document's title or file name contains “${q}”.` : "No documents yet: upload one above.";
    list.append(empty);
  }

  list.append(...page.documents.map(documentRow));
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

function openCitation(c) {
  document.querySelectorAll(".citations li").forEach((li) => li.classList.toggle("focus", li.id === `cite-${c.number}`));
  openDocument(c.documentId, { title: c.documentTitle, passage: c.passage });
}

function renderAnswer(text, citations) {
  const box = $("answer");
  box.replaceChildren();
  // Turn [n] markers into links that open the cited passage.
  for (const part of text.split(/(\[\d+\])/)) {
    const m = /^\[(\d+)\]$/.exec(part);
    const cited = m && citations.find((c) => c.number === Number(m[1]));
    if (cited) {
      const a = document.createElement("a");
      a.href = `#cite-${m[1]}`;
      a.className = "cite";
      a.textContent = part;
      a.addEventListener("click", (e) => { e.preventDefault(); openCitation(cited); });
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
    const open = document.createElement("button");
    open.type = "button";
    open.className = "link citation";
    open.textContent = `${c.documentTitle} (chunk ${c.chunk})`;
    open.addEventListener("click", () => openCitation(c));
    li.append(open);
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
  let text = "", citations = [];
  await readEvents(response, (event, payload) => {
    if (event === "citations") citations = payload;
    else if (event === "delta") text += payload.text;
    else if (event === "answer") { text = payload.text; citations = payload.citations; }
    else if (event === "error") text = payload.detail || "error";
    renderAnswer(text, citations);
  });
  renderAnswer(text || "No answer.", citations);
  loadUsage().catch(() => {});
}

function signedIn(token) {
  session.set(token);
  $("signin-error").textContent = "";
  show();
}

$("token-form").addEventListener("submit", (e) => {
  e.preventDefault();
  signedIn($("token").value.trim());
  $("token").value = "";
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
    signedIn(body.token);
  } catch (err) { $("signin-error").textContent = err.message; }
});

$("signout").addEventListener("click", () => signOut());

$("upload-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const files = [...$("file").files];
  if (files.length === 0) { $("upload-status").textContent = "Choose a file first."; return; }
  $("upload-status").textContent = "";
  $("file").value = "";
  await uploadFiles(files, $("visibility").value, () => signOut("Your session expired or the token is not valid. Sign in again."));
});

$("documents-filter").addEventListener("input", () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => loadDocuments().catch(failed), FilterDelayMs);
});

$("documents-more").addEventListener("click", () => loadDocuments($("documents-more").dataset.cursor).catch(failed));

$("ask-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try { await ask($("question").value.trim()); } catch (err) { if (err.name !== "AbortError" && err.status !== 401) $("answer").textContent = err.message; }
});

initUploads({ list: $("jobs"), documentsChanged, openDocument: (id) => openDocument(id) });
fetch("/auth/config").then((r) => r.json()).then((c) => { $("dev-form").hidden = !c.developmentIssuer; }).catch(() => {});
show();
