/*
 * uuid.h: random (version 4) UUIDs as faas writes them everywhere: 36 lower-case characters.
 * Function ids, build ids, invocation ids, runtime file names, container name suffixes and the
 * first passkey are all made here. Any thread.
 */
#ifndef FAAS_CORE_UUID_H
#define FAAS_CORE_UUID_H

/* Room for a UUID and its NUL. */
#define FAAS_UUID_LEN 37

/** Writes a new random UUID ("xxxxxxxx-xxxx-4xxx-...") into out; returns out. */
char *faas_uuid_new(char out[FAAS_UUID_LEN]);

#endif
