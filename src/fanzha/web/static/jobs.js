// Progress bars of long jobs (报表生成、导入): poll the job's progress URL until it is finished. No libraries.
(function () {
  "use strict";
  function poll(box) {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("progress"), pct = box.querySelector(".job-percent");
    var state = box.querySelector(".job-state"), msg = box.querySelector(".job-message");
    var link = box.querySelector(".job-result");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (s) {
          if (s.percent !== null) { bar.value = s.percent; pct.textContent = s.percent + "%"; }
          state.textContent = s.state_label;
          msg.textContent = (s.message || "") + (s.error ? "：" + s.error : "");
          box.setAttribute("data-state", s.state);
          if (s.result_url) { link.href = s.result_url; link.hidden = false; }
          if (s.finished) { box.setAttribute("data-finished", "true"); } else { setTimeout(tick, 700); }
        })
        .catch(function () { state.textContent = "进度暂不可用，稍后重试"; setTimeout(tick, 3000); });
    }
    tick();
  }
  document.querySelectorAll(".job-progress[data-finished=false]").forEach(poll);
})();
