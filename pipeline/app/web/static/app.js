// bulletin serve: after each rebuild, fetch this page again and swap it in without a blank frame,
// keeping the scroll position. The new page images are loaded before the swap.
"use strict";
(function () {
  const watched = document.body.dataset.watch; // "*" (the index) or "series/name"
  const live = document.getElementById("live");
  let running = null;
  let again = false;

  function show(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  function preload(img) {
    const probe = new Image();
    probe.sizes = img.getAttribute("sizes") || "";
    probe.srcset = img.getAttribute("srcset") || "";
    probe.src = img.getAttribute("src");
    return probe.decode().catch(() => undefined);
  }

  function inView(img, index) {
    // the pages the reader sees are loaded before the swap; the others load after it
    const old = document.getElementById(img.closest("figure").id);
    if (!old) return index < 2;
    const box = old.getBoundingClientRect();
    return box.bottom > -100 && box.top < innerHeight + 100;
  }

  async function refresh() {
    const response = await fetch(location.href, { cache: "no-store" });
    if (!response.ok) return;
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    const content = fresh.getElementById("content");
    const images = [...content.querySelectorAll("figure.page img")];
    await Promise.all(images.filter(inView).map(preload));
    const x = scrollX, y = scrollY;
    document.getElementById("content").replaceWith(document.adoptNode(content));
    document.title = fresh.title;
    scrollTo(x, y);
    window.dispatchEvent(new CustomEvent("bulletin:reloaded", { detail: content.dataset }));
  }

  function schedule() {
    if (running) { again = true; return; }
    running = refresh().catch(() => undefined).finally(() => {
      running = null;
      if (again) { again = false; schedule(); }
    });
  }

  function onBuild(event) {
    const item = JSON.parse(event.data);
    if (watched === "*" || watched === item.series + "/" + item.name) schedule();
  }

  // a reload by hand (F5) comes back to where the reader was, too
  const here = "bulletin-scroll:" + location.pathname;
  addEventListener("pagehide", () => sessionStorage.setItem(here, String(scrollY)));
  const kept = sessionStorage.getItem(here);
  const navigation = performance.getEntriesByType("navigation")[0];
  if (kept !== null && navigation && navigation.type === "reload") scrollTo(0, Number(kept));

  const source = new EventSource("/events");
  let lost = false;
  source.addEventListener("open", () => {
    show("open", "自动更新已开启");
    if (lost) { lost = false; schedule(); } // a rebuild may have happened while away
  });
  source.addEventListener("error", () => { lost = true; show("lost", "连接已断开，正在重连…"); });
  source.addEventListener("built", onBuild);
  source.addEventListener("failed", onBuild);
})();
