// SIGHUP's default action ends a process. The gateway reloads on it, but only once its reload
// service listens, some 20-30 ms into a start (most of it loading the binary and starting the
// Swift runtime, before any Swift code runs): a SIGHUP in that window killed it, exit 129 with
// nothing logged (found black-box, 63rd review). A constructor runs before `main`, as soon as
// the libraries are loaded: for `sensor-gateway run` it ignores SIGHUP until the reload service
// takes it over. Other subcommands keep the default (a terminal's hangup ends them).
#include "early_signals.h"

#include <signal.h>
#include <string.h>

static bool ignored = false;

#if defined(__GLIBC__)
// glibc passes argc and argv to constructors.
__attribute__((constructor)) static void sg_ignore_hangup_for_run(int argc, char **argv, char **envp) {
    (void)envp;
    if (argc > 1 && argv[1] != NULL && strcmp(argv[1], "run") == 0) {
        signal(SIGHUP, SIG_IGN);
        ignored = true;
    }
}
#endif

bool sg_hangup_ignored_at_start(void) { return ignored; }
