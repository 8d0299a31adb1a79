#ifndef SENSOR_GATEWAY_EARLY_SIGNALS_H
#define SENSOR_GATEWAY_EARLY_SIGNALS_H

#include <stdbool.h>

/// Whether the process ignored SIGHUP from before `main` (a `run` of the gateway does, until its
/// reload service listens: the default action would end it). See early_signals.c.
bool sg_hangup_ignored_at_start(void);

#endif
