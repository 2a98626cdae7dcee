/*
 * An exec plan: a process to start inside a running container, as the agent wrote it (see
 * exec-plan.c and apps/agent/src/process/exec-plan.ts, which writes the same records).
 */
#ifndef KATA_EXEC_PLAN_H
#define KATA_EXEC_PLAN_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define PLAN_MAX_NS 8
#define PLAN_MAX_RLIMITS 16
#define PLAN_MAX_GROUPS 64

struct plan_rlimit { int resource; struct rlimit limit; };

struct exec_plan {
  pid_t init_pid;                 /* the container's init: its namespaces and cgroup are joined */
  const char *ns[PLAN_MAX_NS];    /* /proc/<pid>/ns names: "ipc", "mnt", "pid", ... */
  int n_ns;
  uid_t uid;
  gid_t gid;
  gid_t groups[PLAN_MAX_GROUPS];
  int n_groups;
  int has_caps;                   /* without: the capabilities stay as they are (root's) */
  uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
  struct plan_rlimit rlimits[PLAN_MAX_RLIMITS];
  int n_rlimits;
  int no_new_privs;
  int has_umask;
  mode_t umask;
  int has_oom_score_adj;
  int oom_score_adj;
  const char *cwd;
  char **env;                     /* NULL-terminated */
  char **args;                    /* NULL-terminated, at least one */
};

/* Reads the plan at `path` (the records stay in memory for the process's life). 0, or -1 with a message in err. */
int exec_plan_read(const char *path, struct exec_plan *plan, char *err, size_t err_len);

/* Joins the init's pid namespace: children forked after this are born in it. -1 with errno. */
int exec_plan_join_pid_ns(const struct exec_plan *plan);

/*
 * In the forked child: joins the container (cgroup, namespaces), takes its terminal if
 * console_fd >= 0 (a connection to the monitor's console socket, which receives the pty
 * master), becomes the plan's user with its capabilities and limits, and execs. Returns only on
 * failure, with the reason in err.
 */
void exec_plan_run(const struct exec_plan *plan, int console_fd, char *err, size_t err_len);

#endif
