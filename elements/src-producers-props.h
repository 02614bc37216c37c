// SPDX-License-Identifier: LGPL-2.1-or-later
//
// webrtclivesrc's properties for consuming many producers at once:
// producers (one | all), max-producers, layout (none | grid), layout-width,
// layout-height. Five consecutive property ids from `first`.
#pragma once

#include <gst/gst.h>

#include "src-core.h"

namespace webrtclive {

constexpr guint kProducersProperties = 5;

void install_producers_properties(GObjectClass *klass, guint first, GParamFlags flags);
// True when `id` is one of them (then applied to / read from `s`).
bool set_producers_property(guint first, guint id, const GValue *value, SrcSettings &s);
bool get_producers_property(guint first, guint id, const SrcSettings &s, GValue *value);

}  // namespace webrtclive
