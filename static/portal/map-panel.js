// The side panel of the map: one area's figures (filled in by map.js through render).
(function () {
  "use strict";
  window.CommonGroundPanel = {
    render: function (data, body, h) {
      body.appendChild(h.el("p", "", JSON.stringify(data)));
    },
  };
})();
