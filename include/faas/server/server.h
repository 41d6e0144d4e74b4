/*
 * server.h: `faas serve`, the life of the process: configuration, data directory, store,
 * passkey, Docker client, worker pools, services, certificates, listeners, one event-loop
 * thread per core, signals (SIGHUP reloads, SIGTERM/SIGINT stop gracefully). Everything the
 * other stages need is assembled here and nowhere else.
 */
#ifndef FAAS_SERVER_SERVER_H
#define FAAS_SERVER_SERVER_H

/**
 * Loads config_path (NULL: built-in defaults), opens the data directory, starts the loops and
 * serves until SIGTERM/SIGINT. Returns the process exit code: 0 after a graceful stop, 2 for a
 * bad configuration, 1 for other start-up failures. Main thread.
 */
int faas_server_run(const char *config_path);

#endif
