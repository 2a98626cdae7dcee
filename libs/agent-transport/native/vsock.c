// AF_VSOCK for Node: the few syscalls libuv cannot make for us. Everything else (listen,
// accept4, read, write, close) is done by libuv once the fd is wrapped in a Pipe handle.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#include <node_api.h>

#define CHECK(call)                                   \
  do {                                                \
    if ((call) != napi_ok) return NULL;               \
  } while (0)

static napi_value throw_errno(napi_env env, int err, const char* syscall) {
  const char* name = strerrorname_np(err);
  char msg[160];
  snprintf(msg, sizeof msg, "%s %s: %s", syscall, name ? name : "E?", strerror(err));
  napi_value code, message, error, errno_value, syscall_value;
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, code, message, &error);
  napi_create_int32(env, -err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &syscall_value);
  napi_set_named_property(env, error, "syscall", syscall_value);
  napi_throw(env, error);
  return NULL;
}

static int get_u32_args(napi_env env, napi_callback_info info, size_t want, uint32_t* out) {
  napi_value argv[4];
  size_t argc = 4;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  if (argc < want) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "missing arguments");
    return -1;
  }
  for (size_t i = 0; i < want; i++) {
    if (napi_get_value_uint32(env, argv[i], &out[i]) != napi_ok) {
      napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "arguments must be unsigned 32-bit numbers");
      return -1;
    }
  }
  return 0;
}

static struct sockaddr_vm make_addr(uint32_t cid, uint32_t port) {
  struct sockaddr_vm addr;
  memset(&addr, 0, sizeof addr);
  addr.svm_family = AF_VSOCK;
  addr.svm_cid = cid;
  addr.svm_port = port;
  return addr;
}

static napi_value address_object(napi_env env, const struct sockaddr_vm* addr) {
  napi_value obj, cid, port;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_create_uint32(env, addr->svm_cid, &cid));
  CHECK(napi_create_uint32(env, addr->svm_port, &port));
  CHECK(napi_set_named_property(env, obj, "cid", cid));
  CHECK(napi_set_named_property(env, obj, "port", port));
  return obj;
}

// bindSocket(cid, port): a new AF_VSOCK stream socket bound to (cid, port); returns its fd.
static napi_value bind_socket(napi_env env, napi_callback_info info) {
  uint32_t args[2];
  if (get_u32_args(env, info, 2, args)) return NULL;
  int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  struct sockaddr_vm addr = make_addr(args[0], args[1]);
  if (bind(fd, (struct sockaddr*)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }
  napi_value result;
  CHECK(napi_create_int32(env, fd, &result));
  return result;
}

static napi_value sock_name(napi_env env, napi_callback_info info, int peer) {
  uint32_t fd;
  if (get_u32_args(env, info, 1, &fd)) return NULL;
  struct sockaddr_vm addr;
  socklen_t len = sizeof addr;
  memset(&addr, 0, sizeof addr);
  int rc = peer ? getpeername((int)fd, (struct sockaddr*)&addr, &len)
                : getsockname((int)fd, (struct sockaddr*)&addr, &len);
  if (rc < 0) return throw_errno(env, errno, peer ? "getpeername" : "getsockname");
  if (addr.svm_family != AF_VSOCK) return throw_errno(env, EAFNOSUPPORT, peer ? "getpeername" : "getsockname");
  return address_object(env, &addr);
}

static napi_value get_sock_name(napi_env env, napi_callback_info info) { return sock_name(env, info, 0); }
static napi_value get_peer_name(napi_env env, napi_callback_info info) { return sock_name(env, info, 1); }

// localCid(): this machine's CID (IOCTL_VM_SOCKETS_GET_LOCAL_CID on /dev/vsock).
static napi_value local_cid(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "open /dev/vsock");
  uint32_t cid = 0;
  int rc = ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid);
  int err = errno;
  close(fd);
  if (rc < 0) return throw_errno(env, err, "ioctl IOCTL_VM_SOCKETS_GET_LOCAL_CID");
  napi_value result;
  CHECK(napi_create_uint32(env, cid, &result));
  return result;
}

// connect(cid, port, timeoutMs) -> Promise<fd>. A blocking connect bounded by the vsock
// connect timeout, run on the threadpool so the event loop never waits; the fd is made
// non-blocking before it is returned.
typedef struct {
  uint32_t cid, port, timeout_ms;
  int fd, err;
  const char* syscall;
  napi_deferred deferred;
  napi_async_work work;
} connect_req;

static void connect_execute(napi_env env, void* data) {
  (void)env;
  connect_req* req = data;
  req->fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (req->fd < 0) {
    req->err = errno;
    req->syscall = "socket";
    return;
  }
  struct timeval tv = {.tv_sec = req->timeout_ms / 1000, .tv_usec = (req->timeout_ms % 1000) * 1000};
  if (setsockopt(req->fd, AF_VSOCK, SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv, sizeof tv) < 0) {
    req->err = errno;
    req->syscall = "setsockopt SO_VM_SOCKETS_CONNECT_TIMEOUT";
  } else {
    struct sockaddr_vm addr = make_addr(req->cid, req->port);
    int rc;
    do rc = connect(req->fd, (struct sockaddr*)&addr, sizeof addr);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) {
      req->err = errno;
      req->syscall = "connect";
    } else if (fcntl(req->fd, F_SETFL, fcntl(req->fd, F_GETFL) | O_NONBLOCK) < 0) {
      req->err = errno;
      req->syscall = "fcntl O_NONBLOCK";
    }
  }
  if (req->err) {
    close(req->fd);
    req->fd = -1;
  }
}

static void connect_complete(napi_env env, napi_status status, void* data) {
  connect_req* req = data;
  if (status == napi_ok && req->err == 0) {
    napi_value fd;
    napi_create_int32(env, req->fd, &fd);
    napi_resolve_deferred(env, req->deferred, fd);
  } else {
    throw_errno(env, req->err ? req->err : ECANCELED, req->syscall ? req->syscall : "connect");
    napi_value error;
    napi_get_and_clear_last_exception(env, &error);
    napi_reject_deferred(env, req->deferred, error);
  }
  napi_delete_async_work(env, req->work);
  free(req);
}

static napi_value connect_socket(napi_env env, napi_callback_info info) {
  uint32_t args[3];
  if (get_u32_args(env, info, 3, args)) return NULL;
  connect_req* req = calloc(1, sizeof *req);
  if (!req) return throw_errno(env, ENOMEM, "connect");
  req->cid = args[0];
  req->port = args[1];
  req->timeout_ms = args[2];
  req->fd = -1;
  napi_value promise, name;
  CHECK(napi_create_promise(env, &req->deferred, &promise));
  CHECK(napi_create_string_utf8(env, "vsock.connect", NAPI_AUTO_LENGTH, &name));
  CHECK(napi_create_async_work(env, NULL, name, connect_execute, connect_complete, req, &req->work));
  CHECK(napi_queue_async_work(env, req->work));
  return promise;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"bindSocket", NULL, bind_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"connect", NULL, connect_socket, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getsockname", NULL, get_sock_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getpeername", NULL, get_peer_name, NULL, NULL, NULL, napi_enumerable, NULL},
      {"localCid", NULL, local_cid, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
