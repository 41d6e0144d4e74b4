/*
 * labels.h: the Docker labels faas puts on what it makes (containers, images and their build
 * stages, networks), named once. Everything carries FAAS_LABEL_MANAGED=1 and the id of the
 * faas instance that made it (FAAS_LABEL_INSTANCE); listings, removals and the event stream
 * select by both, so two faas servers on one engine never touch each other's objects.
 */
#ifndef FAAS_CORE_LABELS_H
#define FAAS_CORE_LABELS_H

#define FAAS_LABEL_MANAGED "faas.managed"       /* "1" */
#define FAAS_LABEL_INSTANCE "faas.instance"     /* the instance id of the faas that made it */
#define FAAS_LABEL_KIND "faas.kind"             /* "service" or "job" */
#define FAAS_LABEL_FUNCTION "faas.function"     /* the function name */
#define FAAS_LABEL_BUILD "faas.build"           /* the build (deploy or submit) that made it */
#define FAAS_LABEL_INVOCATION "faas.invocation" /* an execution container: its invocation id */
#define FAAS_LABEL_WARM "faas.warm"             /* "1": an execution container started ahead */

#endif
