// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The webrtclive plugin: registers its elements, nothing else.
#include <gst/gst.h>

#include "gstwebrtclivesink.h"
#include "gstwebrtclivesrc.h"
#include "gstwebrtclivestamp.h"
#include "gstwebrtclivestampread.h"

static gboolean plugin_init(GstPlugin *plugin) {
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(webrtclivesink, plugin);
  ok |= GST_ELEMENT_REGISTER(webrtclivesrc, plugin);
  ok |= GST_ELEMENT_REGISTER(webrtclivestamp, plugin);
  ok |= GST_ELEMENT_REGISTER(webrtclivestampread, plugin);
  return ok;
}

GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, webrtclive,
                  "WebRTC streaming to and from browsers with built-in signalling", plugin_init, VERSION,
                  "LGPL", PACKAGE, "https://github.com/gst-webrtc-live/gst-webrtc-live")
