/* The subinterpreter tier's native helper (runtime._native._subinterp).
 *
 * One Interp object owns one subinterpreter (own GIL on 3.12+, the shared GIL on 3.11).
 * Interp.call() runs the interpreter's bootstrap ``dispatch(cmd, arg, text)`` on the
 * caller's OS thread: it detaches the caller's thread state, attaches a thread state of
 * the subinterpreter, calls, and switches back. Text crosses as UTF-8 (no pickling).
 *
 * Host calls: the bootstrap gets ``_host_call(op, text)``, a builtin that switches the
 * same OS thread back to the thread state the call came from (main interpreter), calls
 * the host function given to Interp.call() and switches back again.
 *
 * Deadlines: a call may carry a timeout. A watchdog thread (plain C, never needs a GIL)
 * notices an overrun and starts an injector thread, which attaches a temporary thread
 * state to the subinterpreter (taking that interpreter's GIL) and raises the bootstrap's
 * HookDeadline (a BaseException) in the running thread with PyThreadState_SetAsyncExc.
 * Injections repeat (backing off) until the call ends; a pending one is cleared when it
 * does, so it never reaches the next call.
 *
 * This module itself is imported only in the main interpreter.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pthread.h>
#include <time.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#define MAX_TS 8

#if PY_VERSION_HEX >= 0x030D0000
#define GPS_FINALIZING() Py_IsFinalizing()
#else
#define GPS_FINALIZING() _Py_IsFinalizing()
#endif

typedef struct InterpObject {
    PyObject_HEAD
    PyInterpreterState *interp;
    PyThreadState *ts[MAX_TS];
    unsigned long ts_tid[MAX_TS];
    int ts_n;
    int ts_evict;
    PyThreadState *ts_pending_delete;
    PyObject *dispatch;      /* owned by the subinterpreter */
    PyObject *deadline_exc;  /* owned by the subinterpreter */
    int alive;
    int busy;
    int own_gil;
    /* under g_lock */
    unsigned long long seq;  /* the running call; 0 when idle */
    unsigned long run_tid;
    long long deadline_ns;   /* 0: no deadline */
    long long started_ns;
    long long last_inject_ns;
    long long reinject_ns;
    int injections;          /* injections into the running call */
    int injectors;           /* injector threads alive */
    int listed;
    struct InterpObject *next, *prev;
    /* results of the last call */
    int last_injections;
    long long last_elapsed_ns;
    long long last_overrun_ns;  /* how long past its deadline the last call ended */
    long long total_injections;
    struct worker_s *worker;  /* worker-mode thread, or NULL */
} InterpObject;

typedef struct call_ctx {
    PyObject *host;
    PyThreadState *main_ts;
    struct call_ctx *prev;
} call_ctx;

static __thread call_ctx *t_ctx = NULL;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond;
static int g_cond_ready = 0;
static int g_watchdog_started = 0;
static long long g_next_wake = 0;  /* 0: waiting without a timeout */
static InterpObject *g_list = NULL;
static unsigned long long g_seq = 0;
static long long g_injector_threads = 0;

#define REINJECT_FIRST_NS 20000000LL
#define REINJECT_MAX_NS 1000000000LL

static long long mono_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* ------------------------------------------------------------------ text helpers */

/* UTF-8 of a str (surrogates pass through). Returns a pointer valid while *keep (or
 * the str) lives; *keep is a new reference or NULL. */
static const char *utf8_of(PyObject *text, Py_ssize_t *len, PyObject **keep) {
    *keep = NULL;
    const char *p = PyUnicode_AsUTF8AndSize(text, len);
    if (p != NULL)
        return p;
    PyErr_Clear();
    PyObject *b = PyUnicode_AsEncodedString(text, "utf-8", "surrogatepass");
    if (b == NULL)
        return NULL;
    *keep = b;
    *len = PyBytes_GET_SIZE(b);
    return PyBytes_AS_STRING(b);
}

typedef struct {
    char *data;
    Py_ssize_t len;
    int is_error;     /* 1: data is an error text */
    int is_deadline;  /* 1: the deadline exception escaped */
} outbuf;

static void out_set(outbuf *o, const char *p, Py_ssize_t n, int is_error) {
    o->data = (char *)PyMem_RawMalloc(n ? (size_t)n : 1);
    if (o->data == NULL) {
        o->len = 0;
        o->is_error = 1;
        return;
    }
    if (n)
        memcpy(o->data, p, (size_t)n);
    o->len = n;
    o->is_error = is_error;
}

/* Copy the current exception's "Type: message" into o and clear it. */
static void out_from_exception(outbuf *o, PyObject *deadline_exc) {
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (deadline_exc != NULL && type != NULL && PyErr_GivenExceptionMatches(type, deadline_exc))
        o->is_deadline = 1;
    PyObject *msg = NULL;
    if (type != NULL) {
        const char *name = ((PyTypeObject *)type)->tp_name;
        PyObject *s = value ? PyObject_Str(value) : NULL;
        if (s == NULL) {
            PyErr_Clear();
            msg = PyUnicode_FromString(name);
        } else {
            msg = PyUnicode_FromFormat("%s: %U", name, s);
            Py_DECREF(s);
        }
    }
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(tb);
    Py_ssize_t n = 0;
    PyObject *keep = NULL;
    const char *p = msg ? utf8_of(msg, &n, &keep) : NULL;
    if (p == NULL) {
        PyErr_Clear();
        out_set(o, "unknown error", 13, 1);
    } else {
        out_set(o, p, n, 1);
    }
    Py_XDECREF(keep);
    Py_XDECREF(msg);
}

static void out_from_result(outbuf *o, PyObject *r, PyObject *deadline_exc) {
    if (!PyUnicode_Check(r)) {
        out_set(o, "the bootstrap answered a non-str", 32, 1);
        return;
    }
    Py_ssize_t n;
    PyObject *keep;
    const char *p = utf8_of(r, &n, &keep);
    if (p == NULL) {
        out_from_exception(o, deadline_exc);
        return;
    }
    out_set(o, p, n, 0);
    Py_XDECREF(keep);
}

/* ------------------------------------------------------------------ the watchdog */

static void list_add(InterpObject *it) {  /* under g_lock */
    if (it->listed)
        return;
    it->prev = NULL;
    it->next = g_list;
    if (g_list)
        g_list->prev = it;
    g_list = it;
    it->listed = 1;
}

static void list_remove(InterpObject *it) {  /* under g_lock */
    if (!it->listed)
        return;
    if (it->prev)
        it->prev->next = it->next;
    else
        g_list = it->next;
    if (it->next)
        it->next->prev = it->prev;
    it->next = it->prev = NULL;
    it->listed = 0;
}

typedef struct {
    InterpObject *it;
    unsigned long long seq;
} inj_arg;

static void *injector_main(void *p) {
    inj_arg *a = (inj_arg *)p;
    InterpObject *it = a->it;
    PyThreadState *ts = PyThreadState_New(it->interp);
    if (ts != NULL) {
        PyEval_RestoreThread(ts);  /* waits for the subinterpreter's GIL */
        pthread_mutex_lock(&g_lock);
        if (it->seq == a->seq && it->deadline_exc != NULL) {
            PyThreadState_SetAsyncExc(it->run_tid, it->deadline_exc);
        }
        pthread_mutex_unlock(&g_lock);
        PyThreadState_Clear(ts);
        PyThreadState_DeleteCurrent();
    }
    pthread_mutex_lock(&g_lock);
    it->injectors--;
    g_injector_threads--;
    pthread_mutex_unlock(&g_lock);
    PyMem_RawFree(a);
    return NULL;
}

/* Start an injector for the running call of it (under g_lock). */
static int spawn_injector(InterpObject *it, long long now) {
    inj_arg *a = (inj_arg *)PyMem_RawMalloc(sizeof(inj_arg));
    if (a == NULL)
        return -1;
    a->it = it;
    a->seq = it->seq;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t th;
    int rc = pthread_create(&th, &attr, injector_main, a);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        PyMem_RawFree(a);
        return -1;
    }
    it->injectors++;
    g_injector_threads++;
    it->injections++;
    it->total_injections++;
    it->last_inject_ns = now;
    return 0;
}

static void *watchdog_main(void *unused) {
    (void)unused;
    pthread_mutex_lock(&g_lock);
    for (;;) {
        long long now = mono_ns();
        long long wake = 0;
        for (InterpObject *it = g_list; it != NULL; it = it->next) {
            if (it->seq == 0 || it->deadline_ns == 0)
                continue;
            long long due;
            if (now >= it->deadline_ns) {
                if (it->injections == 0 || now - it->last_inject_ns >= it->reinject_ns) {
                    if (it->injectors == 0 && spawn_injector(it, now) == 0 && it->injections > 1) {
                        it->reinject_ns *= 2;
                        if (it->reinject_ns > REINJECT_MAX_NS)
                            it->reinject_ns = REINJECT_MAX_NS;
                    }
                }
                due = now + it->reinject_ns;
            } else {
                due = it->deadline_ns;
            }
            if (wake == 0 || due < wake)
                wake = due;
        }
        g_next_wake = wake;
        if (wake == 0) {
            pthread_cond_wait(&g_cond, &g_lock);
        } else {
            struct timespec ts;
            ts.tv_sec = wake / 1000000000LL;
            ts.tv_nsec = wake % 1000000000LL;
            pthread_cond_timedwait(&g_cond, &g_lock, &ts);
        }
    }
    return NULL;
}

static int ensure_watchdog(void) {  /* under g_lock */
    if (g_watchdog_started)
        return 0;
    if (!g_cond_ready) {
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&g_cond, &ca);
        pthread_condattr_destroy(&ca);
        g_cond_ready = 1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_t th;
    int rc = pthread_create(&th, &attr, watchdog_main, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0)
        return -1;
    g_watchdog_started = 1;
    return 0;
}

/* ------------------------------------------------------------------ thread states */

/* This OS thread's thread state of the subinterpreter (created on first use). */
static PyThreadState *ts_for_thread(InterpObject *self) {
    unsigned long tid = PyThread_get_thread_ident();
    for (int i = 0; i < self->ts_n; i++)
        if (self->ts_tid[i] == tid)
            return self->ts[i];
    PyThreadState *ts = PyThreadState_New(self->interp);
    if (ts == NULL)
        return NULL;
    int slot;
    if (self->ts_n < MAX_TS) {
        slot = self->ts_n++;
    } else {
        slot = self->ts_evict;
        self->ts_evict = (self->ts_evict + 1) % MAX_TS;
        self->ts_pending_delete = self->ts[slot];  /* deleted inside the interpreter */
    }
    self->ts[slot] = ts;
    self->ts_tid[slot] = tid;
    return ts;
}

static void delete_pending_ts(InterpObject *self) {  /* attached to the subinterpreter */
    PyThreadState *old = self->ts_pending_delete;
    if (old != NULL) {
        self->ts_pending_delete = NULL;
        PyThreadState_Clear(old);
        PyThreadState_Delete(old);
    }
}

/* ------------------------------------------------------------------ host calls */

static PyObject *host_call_fn(PyObject *unused, PyObject *const *args, Py_ssize_t nargs) {
    (void)unused;
    if (nargs != 2 || !PyLong_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "_host_call(op: int, payload: str)");
        return NULL;
    }
    call_ctx *ctx = t_ctx;
    if (ctx == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "no host call outside a call from the host");
        return NULL;
    }
    long op = PyLong_AsLong(args[0]);
    if (op == -1 && PyErr_Occurred())
        return NULL;
    Py_ssize_t n;
    PyObject *keep;
    const char *p = utf8_of(args[1], &n, &keep);
    if (p == NULL)
        return NULL;
    outbuf out = {0};
    PyThreadState *sub_ts = PyEval_SaveThread();
    PyEval_RestoreThread(ctx->main_ts);
    {
        PyObject *s = PyUnicode_DecodeUTF8(p, n, "surrogatepass");
        PyObject *r = s ? PyObject_CallFunction(ctx->host, "lO", op, s) : NULL;
        Py_XDECREF(s);
        if (r == NULL)
            out_from_exception(&out, NULL);
        else
            out_from_result(&out, r, NULL);
        Py_XDECREF(r);
    }
    PyEval_SaveThread();
    PyEval_RestoreThread(sub_ts);
    Py_XDECREF(keep);
    if (out.data == NULL)
        return PyErr_NoMemory();
    PyObject *res;
    if (out.is_error) {
        PyObject *msg = PyUnicode_DecodeUTF8(out.data, out.len, "replace");
        if (msg != NULL) {
            PyErr_SetObject(PyExc_RuntimeError, msg);
            Py_DECREF(msg);
        }
        res = NULL;
    } else {
        res = PyUnicode_DecodeUTF8(out.data, out.len, "surrogatepass");
    }
    PyMem_RawFree(out.data);
    return res;
}

static PyMethodDef host_call_def = {"_host_call", (PyCFunction)(void (*)(void))host_call_fn,
                                    METH_FASTCALL, "Call the host: (op, payload) -> answer."};

/* ------------------------------------------------------------------ Interp */

static PyTypeObject InterpType;

static void end_interpreter(InterpObject *self);

static PyObject *Interp_create(PyObject *mod, PyObject *args) {
    (void)mod;
    const char *src;
    PyObject *setup;
    int own_gil;
    if (!PyArg_ParseTuple(args, "sUp", &src, &setup, &own_gil))
        return NULL;
#if PY_VERSION_HEX < 0x030C0000
    if (own_gil) {
        PyErr_SetString(PyExc_RuntimeError, "a per-interpreter GIL needs Python 3.12+");
        return NULL;
    }
#endif
    Py_ssize_t setup_len;
    PyObject *setup_keep;
    const char *setup_p = utf8_of(setup, &setup_len, &setup_keep);
    if (setup_p == NULL)
        return NULL;
    InterpObject *self = PyObject_New(InterpObject, &InterpType);
    if (self == NULL) {
        Py_XDECREF(setup_keep);
        return NULL;
    }
    self->interp = NULL;
    self->ts_n = 0;
    self->ts_evict = 0;
    self->ts_pending_delete = NULL;
    self->dispatch = NULL;
    self->deadline_exc = NULL;
    self->alive = 0;
    self->busy = 0;
    self->own_gil = own_gil;
    self->seq = 0;
    self->run_tid = 0;
    self->deadline_ns = 0;
    self->started_ns = 0;
    self->last_inject_ns = 0;
    self->reinject_ns = REINJECT_FIRST_NS;
    self->injections = 0;
    self->injectors = 0;
    self->listed = 0;
    self->next = self->prev = NULL;
    self->last_injections = 0;
    self->last_elapsed_ns = 0;
    self->last_overrun_ns = 0;
    self->total_injections = 0;
    self->worker = NULL;

    PyThreadState *main_ts = PyThreadState_Get();
    PyThreadState *sub_ts = NULL;
#if PY_VERSION_HEX >= 0x030C0000
    PyInterpreterConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.use_main_obmalloc = own_gil ? 0 : 1;
    cfg.allow_fork = 0;
    cfg.allow_exec = 0;
    cfg.allow_threads = 0;
    cfg.allow_daemon_threads = 0;
    cfg.check_multi_interp_extensions = own_gil ? 1 : 0;
    cfg.gil = own_gil ? PyInterpreterConfig_OWN_GIL : PyInterpreterConfig_SHARED_GIL;
    PyStatus st = Py_NewInterpreterFromConfig(&sub_ts, &cfg);
    if (PyStatus_Exception(st) || sub_ts == NULL) {
        PyThreadState_Swap(main_ts);
        Py_XDECREF(setup_keep);
        Py_DECREF(self);
        PyErr_Format(PyExc_RuntimeError, "creating a subinterpreter failed: %s",
                     st.err_msg ? st.err_msg : "unknown error");
        return NULL;
    }
#else
    sub_ts = Py_NewInterpreter();
    if (sub_ts == NULL) {
        PyThreadState_Swap(main_ts);
        Py_XDECREF(setup_keep);
        Py_DECREF(self);
        PyErr_SetString(PyExc_RuntimeError, "creating a subinterpreter failed");
        return NULL;
    }
#endif
    /* inside the new interpreter */
    self->interp = PyThreadState_GetInterpreter(sub_ts);
    self->ts[0] = sub_ts;
    self->ts_tid[0] = PyThread_get_thread_ident();
    self->ts_n = 1;
    self->alive = 1;
    outbuf err = {0};
    int ok = 0;
    PyObject *globals = PyDict_New();
    PyObject *hostfn = PyCFunction_New(&host_call_def, NULL);
    PyObject *setup_s = PyUnicode_DecodeUTF8(setup_p, setup_len, "surrogatepass");
    PyObject *name = PyUnicode_FromString("__gps_bootstrap__");
    if (globals && hostfn && setup_s && name &&
        PyDict_SetItemString(globals, "__builtins__", PyEval_GetBuiltins()) == 0 &&
        PyDict_SetItemString(globals, "__name__", name) == 0 &&
        PyDict_SetItemString(globals, "_host_call", hostfn) == 0 &&
        PyDict_SetItemString(globals, "_setup_text", setup_s) == 0) {
        PyObject *code = Py_CompileString(src, "<subinterpreter bootstrap>", Py_file_input);
        PyObject *r = code ? PyEval_EvalCode(code, globals, globals) : NULL;
        Py_XDECREF(code);
        if (r != NULL) {
            Py_DECREF(r);
            self->dispatch = PyDict_GetItemString(globals, "dispatch");
            self->deadline_exc = PyDict_GetItemString(globals, "HookDeadline");
            if (self->dispatch && self->deadline_exc) {
                Py_INCREF(self->dispatch);
                Py_INCREF(self->deadline_exc);
                ok = 1;
            } else {
                self->dispatch = self->deadline_exc = NULL;
                out_set(&err, "the bootstrap defines no dispatch or HookDeadline", 49, 1);
            }
        }
    }
    if (!ok && err.data == NULL) {
        if (PyErr_Occurred())
            out_from_exception(&err, NULL);
        else
            out_set(&err, "bootstrap failed", 16, 1);
    }
    PyErr_Clear();
    Py_XDECREF(globals);
    Py_XDECREF(hostfn);
    Py_XDECREF(setup_s);
    Py_XDECREF(name);
    PyThreadState_Swap(main_ts);
    Py_XDECREF(setup_keep);
    if (!ok) {
        end_interpreter(self);
        PyObject *msg = err.data ? PyUnicode_DecodeUTF8(err.data, err.len, "replace") : NULL;
        PyMem_RawFree(err.data);
        if (msg != NULL) {
            PyErr_SetObject(PyExc_RuntimeError, msg);
            Py_DECREF(msg);
        }
        Py_DECREF(self);
        return NULL;
    }
    return (PyObject *)self;
}

/* Destroy the interpreter (idle, no injectors). Called holding the main GIL. */
static void stop_worker(InterpObject *self);

static void end_interpreter(InterpObject *self) {
    if (!self->alive)
        return;
    stop_worker(self);
    for (;;) {  /* injectors attach to the interpreter: let them finish */
        pthread_mutex_lock(&g_lock);
        int n = self->injectors;
        list_remove(self);
        pthread_mutex_unlock(&g_lock);
        if (n == 0)
            break;
        Py_BEGIN_ALLOW_THREADS
        usleep(200);
        Py_END_ALLOW_THREADS
    }
    PyThreadState *ts = ts_for_thread(self);
    if (ts == NULL) {
        PyErr_Clear();
        return;  /* leaked: nothing safe to do */
    }
    PyThreadState *main_ts = PyThreadState_Swap(ts);
    delete_pending_ts(self);
    if (self->dispatch != NULL) {  /* CMD_FINI: the bootstrap's last words on this thread */
        PyObject *r = PyObject_CallFunction(self->dispatch, "lls", 4L, 0L, "");
        Py_XDECREF(r);
        PyErr_Clear();
    }
    Py_CLEAR(self->dispatch);
    Py_CLEAR(self->deadline_exc);
    for (int i = 0; i < self->ts_n; i++) {
        if (self->ts[i] != ts) {
            PyThreadState_Clear(self->ts[i]);
            PyThreadState_Delete(self->ts[i]);
        }
    }
    self->ts_n = 0;
    Py_EndInterpreter(ts);
    PyThreadState_Swap(main_ts);
    self->alive = 0;
    self->interp = NULL;
}

/* The part of a call that runs inside the subinterpreter (its thread state attached). */
static void run_in_sub(InterpObject *self, long cmd, long arg, const char *p, Py_ssize_t n,
                       long long timeout_ns, outbuf *out, int *injected_out, long long *started_out,
                       long long *ended_out, long long *deadline_out) {
    delete_pending_ts(self);
    long long started = mono_ns();
    long long deadline = timeout_ns > 0 ? started + timeout_ns : 0;
    pthread_mutex_lock(&g_lock);
    self->seq = ++g_seq;
    self->run_tid = PyThread_get_thread_ident();
    self->deadline_ns = deadline;
    self->started_ns = started;
    self->injections = 0;
    self->reinject_ns = REINJECT_FIRST_NS;
    if (deadline) {
        if (ensure_watchdog() == 0) {
            list_add(self);
            if (g_next_wake == 0 || deadline < g_next_wake)
                pthread_cond_signal(&g_cond);
        }
    }
    pthread_mutex_unlock(&g_lock);
    {
        PyObject *s = PyUnicode_DecodeUTF8(p, n, "surrogatepass");
        PyObject *r = s ? PyObject_CallFunction(self->dispatch, "llO", cmd, arg, s) : NULL;
        Py_XDECREF(s);
        if (r == NULL)
            out_from_exception(out, self->deadline_exc);
        else
            out_from_result(out, r, self->deadline_exc);
        Py_XDECREF(r);
    }
    pthread_mutex_lock(&g_lock);
    int injected = self->injections;
    self->seq = 0;
    self->deadline_ns = 0;
    list_remove(self);
    pthread_mutex_unlock(&g_lock);
    if (injected)
        PyThreadState_SetAsyncExc(PyThread_get_thread_ident(), NULL);  /* drop a pending one */
    PyErr_Clear();
    *injected_out = injected;
    *started_out = started;
    *ended_out = mono_ns();
    *deadline_out = deadline;
}

/* Turn a finished call's outbuf into the Python answer (holding the caller's GIL). */
static PyObject *finish_call(InterpObject *self, outbuf *out, int injected, long long started,
                             long long ended, long long deadline) {
    self->last_injections = injected;
    self->last_elapsed_ns = ended - started;
    self->last_overrun_ns = deadline && ended > deadline ? ended - deadline : 0;
    if (out->data == NULL)
        return PyErr_NoMemory();
    PyObject *res;
    if (out->is_deadline) {
        res = PyUnicode_FromString("\x01" "D");
    } else if (out->is_error) {
        PyObject *msg = PyUnicode_DecodeUTF8(out->data, out->len, "replace");
        if (msg != NULL) {
            PyErr_SetObject(PyExc_RuntimeError, msg);
            Py_DECREF(msg);
        }
        res = NULL;
    } else {
        res = PyUnicode_DecodeUTF8(out->data, out->len, "surrogatepass");
    }
    PyMem_RawFree(out->data);
    out->data = NULL;
    return res;
}

static int check_callable(InterpObject *self) {
    if (!self->alive) {
        PyErr_SetString(PyExc_RuntimeError, "the subinterpreter is closed");
        return -1;
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the subinterpreter is running another call");
        return -1;
    }
    return 0;
}

static PyObject *Interp_call(InterpObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5 || !PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError, "call(cmd: int, arg: int, text: str, host, timeout_ns: int)");
        return NULL;
    }
    long cmd = PyLong_AsLong(args[0]);
    long arg = PyLong_AsLong(args[1]);
    long long timeout_ns = PyLong_AsLongLong(args[4]);
    if (PyErr_Occurred())
        return NULL;
    PyObject *host = args[3];
    if (check_callable(self) < 0)
        return NULL;
    Py_ssize_t n;
    PyObject *keep;
    const char *p = utf8_of(args[2], &n, &keep);
    if (p == NULL)
        return NULL;
    PyThreadState *sub_ts = ts_for_thread(self);
    if (sub_ts == NULL) {
        Py_XDECREF(keep);
        return NULL;
    }
    call_ctx ctx;
    ctx.host = host;
    ctx.main_ts = PyThreadState_Get();
    ctx.prev = t_ctx;
    t_ctx = &ctx;
    self->busy = 1;
    Py_INCREF(self);
    outbuf out = {0};
    long long started, ended, deadline;
    int injected;

    PyThreadState *main_ts = PyEval_SaveThread();
    PyEval_RestoreThread(sub_ts);
    run_in_sub(self, cmd, arg, p, n, timeout_ns, &out, &injected, &started, &ended, &deadline);
    PyEval_SaveThread();
    PyEval_RestoreThread(main_ts);
    t_ctx = ctx.prev;
    self->busy = 0;
    Py_XDECREF(keep);
    PyObject *res = finish_call(self, &out, injected, started, ended, deadline);
    Py_DECREF(self);
    return res;
}

/* ------------------------------------------------------------------ the worker thread */

typedef struct worker_s {
    pthread_mutex_t m;
    pthread_cond_t c;
    pthread_t th;
    int has_job, done, stop, exited;
    long cmd, arg;
    char *text;
    Py_ssize_t n;
    PyObject *host;
    long long timeout_ns;
    outbuf out;
    int injected;
    long long started, ended, deadline;
} worker_t;

static void *worker_main(void *p) {
    InterpObject *self = (InterpObject *)p;
    worker_t *w = self->worker;
    PyThreadState *main_ts = PyThreadState_New(PyInterpreterState_Main());
    PyThreadState *sub_ts = PyThreadState_New(self->interp);
    pthread_mutex_lock(&w->m);
    for (;;) {
        while (!w->has_job && !w->stop)
            pthread_cond_wait(&w->c, &w->m);
        if (w->stop)
            break;
        w->has_job = 0;
        pthread_mutex_unlock(&w->m);
        call_ctx ctx;
        ctx.host = w->host;
        ctx.main_ts = main_ts;
        ctx.prev = NULL;
        t_ctx = &ctx;
        outbuf out = {0};
        int injected;
        long long started, ended, deadline;
        PyEval_RestoreThread(sub_ts);
        run_in_sub(self, w->cmd, w->arg, w->text, w->n, w->timeout_ns, &out, &injected, &started,
                   &ended, &deadline);
        PyEval_SaveThread();
        t_ctx = NULL;
        pthread_mutex_lock(&w->m);
        w->out = out;
        w->injected = injected;
        w->started = started;
        w->ended = ended;
        w->deadline = deadline;
        w->done = 1;
        pthread_cond_broadcast(&w->c);
    }
    pthread_mutex_unlock(&w->m);
    PyEval_RestoreThread(sub_ts);
    PyThreadState_Clear(sub_ts);
    PyThreadState_DeleteCurrent();
    if (!GPS_FINALIZING()) {
        PyEval_RestoreThread(main_ts);
        PyThreadState_Clear(main_ts);
        PyThreadState_DeleteCurrent();
    }
    pthread_mutex_lock(&w->m);
    w->exited = 1;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    return NULL;
}

static int start_worker(InterpObject *self) {
    worker_t *w = (worker_t *)PyMem_RawCalloc(1, sizeof(worker_t));
    if (w == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    pthread_mutex_init(&w->m, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->c, &ca);
    pthread_condattr_destroy(&ca);
    self->worker = w;
    if (pthread_create(&w->th, NULL, worker_main, self) != 0) {
        self->worker = NULL;
        PyMem_RawFree(w);
        PyErr_SetString(PyExc_RuntimeError, "cannot start a worker thread");
        return -1;
    }
    return 0;
}

/* Wait (GIL released) until the worker's job is done or wait_s passes (< 0: forever). */
static int worker_wait(worker_t *w, double wait_s) {
    int done;
    Py_BEGIN_ALLOW_THREADS
    pthread_mutex_lock(&w->m);
    if (wait_s < 0) {
        while (!w->done)
            pthread_cond_wait(&w->c, &w->m);
    } else {
        long long until = mono_ns() + (long long)(wait_s * 1e9);
        struct timespec ts;
        ts.tv_sec = until / 1000000000LL;
        ts.tv_nsec = until % 1000000000LL;
        while (!w->done) {
            if (pthread_cond_timedwait(&w->c, &w->m, &ts) == ETIMEDOUT)
                break;
        }
    }
    done = w->done;
    pthread_mutex_unlock(&w->m);
    Py_END_ALLOW_THREADS
    return done;
}

/* The finished job's answer; the interpreter is free again. */
static PyObject *worker_collect(InterpObject *self) {
    worker_t *w = self->worker;
    pthread_mutex_lock(&w->m);
    outbuf out = w->out;
    memset(&w->out, 0, sizeof(outbuf));
    w->done = 0;
    pthread_mutex_unlock(&w->m);
    PyMem_RawFree(w->text);
    w->text = NULL;
    Py_CLEAR(w->host);
    self->busy = 0;
    return finish_call(self, &out, w->injected, w->started, w->ended, w->deadline);
}

static PyObject *Interp_submit(InterpObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 6 || !PyUnicode_Check(args[2])) {
        PyErr_SetString(PyExc_TypeError,
                        "submit(cmd: int, arg: int, text: str, host, timeout_ns: int, wait_s: float)");
        return NULL;
    }
    long cmd = PyLong_AsLong(args[0]);
    long arg = PyLong_AsLong(args[1]);
    long long timeout_ns = PyLong_AsLongLong(args[4]);
    double wait_s = PyFloat_AsDouble(args[5]);
    if (PyErr_Occurred())
        return NULL;
    if (check_callable(self) < 0)
        return NULL;
    if (self->worker == NULL && start_worker(self) < 0)
        return NULL;
    worker_t *w = self->worker;
    Py_ssize_t n;
    PyObject *keep;
    const char *p = utf8_of(args[2], &n, &keep);
    if (p == NULL)
        return NULL;
    char *copy = (char *)PyMem_RawMalloc(n ? (size_t)n : 1);
    if (copy == NULL) {
        Py_XDECREF(keep);
        return PyErr_NoMemory();
    }
    memcpy(copy, p, (size_t)n);
    Py_XDECREF(keep);
    Py_INCREF(args[3]);
    self->busy = 1;
    pthread_mutex_lock(&w->m);
    w->cmd = cmd;
    w->arg = arg;
    w->text = copy;
    w->n = n;
    w->host = args[3];
    w->timeout_ns = timeout_ns;
    w->done = 0;
    w->has_job = 1;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    if (!worker_wait(w, wait_s))
        Py_RETURN_NONE;  /* still running: wait() and collect() later */
    return worker_collect(self);
}

static PyObject *Interp_wait(InterpObject *self, PyObject *arg) {
    double wait_s = PyFloat_AsDouble(arg);
    if (wait_s == -1.0 && PyErr_Occurred())
        return NULL;
    if (self->worker == NULL || !self->busy)
        Py_RETURN_TRUE;
    return PyBool_FromLong(worker_wait(self->worker, wait_s));
}

static PyObject *Interp_collect(InterpObject *self, PyObject *unused) {
    (void)unused;
    if (self->worker == NULL || !self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "no call to collect");
        return NULL;
    }
    if (!worker_wait(self->worker, 0.0)) {
        PyErr_SetString(PyExc_RuntimeError, "the call is still running");
        return NULL;
    }
    return worker_collect(self);
}

/* Stop and join the worker thread (its call done). Holding the main GIL. */
static void stop_worker(InterpObject *self) {
    worker_t *w = self->worker;
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->m);
    w->stop = 1;
    pthread_cond_broadcast(&w->c);
    pthread_mutex_unlock(&w->m);
    Py_BEGIN_ALLOW_THREADS
    pthread_join(w->th, NULL);
    Py_END_ALLOW_THREADS
    PyMem_RawFree(w->out.data);
    w->out.data = NULL;
    PyMem_RawFree(w->text);
    w->text = NULL;
    Py_CLEAR(w->host);
    /* The struct itself is left allocated: another host thread may still be returning
     * from worker_wait() on it (a few hundred bytes per destroyed interpreter). */
    self->worker = NULL;
}

static PyObject *Interp_inject(InterpObject *self, PyObject *unused) {
    (void)unused;
    int started = 0;
    pthread_mutex_lock(&g_lock);
    if (self->alive && self->seq != 0 && self->injectors == 0)
        started = spawn_injector(self, mono_ns()) == 0;
    pthread_mutex_unlock(&g_lock);
    return PyBool_FromLong(started);
}

static PyObject *Interp_close(InterpObject *self, PyObject *unused) {
    (void)unused;
    if (self->busy && self->worker != NULL && worker_wait(self->worker, 0.0)) {
        PyObject *r = worker_collect(self);  /* a finished worker call nobody collected */
        Py_XDECREF(r);
        PyErr_Clear();
    }
    if (self->busy) {
        PyErr_SetString(PyExc_RuntimeError, "the subinterpreter is running a call");
        return NULL;
    }
    end_interpreter(self);
    Py_RETURN_NONE;
}

static PyObject *Interp_running(InterpObject *self, void *unused) {
    (void)unused;
    int running = self->busy;
    if (running && self->worker != NULL) {
        pthread_mutex_lock(&self->worker->m);
        running = !self->worker->done;
        pthread_mutex_unlock(&self->worker->m);
    }
    return PyBool_FromLong(running);
}

static PyObject *Interp_alive(InterpObject *self, void *unused) {
    (void)unused;
    return PyBool_FromLong(self->alive);
}

static PyObject *Interp_last(InterpObject *self, void *unused) {
    (void)unused;
    return Py_BuildValue("(iLL)", self->last_injections, self->last_elapsed_ns, self->last_overrun_ns);
}

static PyObject *Interp_total_injections(InterpObject *self, void *unused) {
    (void)unused;
    return PyLong_FromLongLong(self->total_injections);
}

static void Interp_dealloc(InterpObject *self) {
    /* An interpreter still alive here is left to Interp.close() callers (the backend
     * closes every interpreter it made); ending it during finalization is not safe. */
    if (self->alive && !self->busy && !GPS_FINALIZING()) {
        PyObject *et, *ev, *tb;
        PyErr_Fetch(&et, &ev, &tb);
        end_interpreter(self);
        PyErr_Restore(et, ev, tb);
    }
    PyObject_Free(self);
}

static PyMethodDef Interp_methods[] = {
    {"call", (PyCFunction)(void (*)(void))Interp_call, METH_FASTCALL,
     "call(cmd, arg, text, host, timeout_ns) -> str: run the bootstrap's dispatch here."},
    {"submit", (PyCFunction)(void (*)(void))Interp_submit, METH_FASTCALL,
     "submit(cmd, arg, text, host, timeout_ns, wait_s) -> str | None: run on the interpreter's "
     "worker thread; None when it is still running after wait_s (then wait() and collect())."},
    {"wait", (PyCFunction)Interp_wait, METH_O, "wait(seconds) -> bool: the worker call is done."},
    {"collect", (PyCFunction)Interp_collect, METH_NOARGS, "The finished worker call's answer."},
    {"inject", (PyCFunction)Interp_inject, METH_NOARGS,
     "Raise the deadline exception in the running call now (True if an injector started)."},
    {"close", (PyCFunction)Interp_close, METH_NOARGS, "Destroy the interpreter (idle only)."},
    {NULL, NULL, 0, NULL}};

static PyGetSetDef Interp_getset[] = {
    {"running", (getter)Interp_running, NULL, "a call is in progress", NULL},
    {"alive", (getter)Interp_alive, NULL, "not yet destroyed", NULL},
    {"last", (getter)Interp_last, NULL, "(injections, elapsed_ns, overrun_ns) of the last call", NULL},
    {"total_injections", (getter)Interp_total_injections, NULL, "injections ever made", NULL},
    {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject InterpType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "runtime._native._subinterp.Interp",
    .tp_basicsize = sizeof(InterpObject),
    .tp_dealloc = (destructor)Interp_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One subinterpreter.",
    .tp_methods = Interp_methods,
    .tp_getset = Interp_getset,
};

static PyObject *mod_injector_threads(PyObject *mod, PyObject *unused) {
    (void)mod;
    (void)unused;
    pthread_mutex_lock(&g_lock);
    long long n = g_injector_threads;
    pthread_mutex_unlock(&g_lock);
    return PyLong_FromLongLong(n);
}

static PyMethodDef mod_methods[] = {
    {"create", Interp_create, METH_VARARGS,
     "create(bootstrap_source, setup_text, own_gil) -> Interp"},
    {"injector_threads", mod_injector_threads, METH_NOARGS, "injector threads alive"},
    {NULL, NULL, 0, NULL}};

static int mod_exec(PyObject *m) {
    if (PyType_Ready(&InterpType) < 0)
        return -1;
    Py_INCREF(&InterpType);
    if (PyModule_AddObject(m, "Interp", (PyObject *)&InterpType) < 0) {
        Py_DECREF(&InterpType);
        return -1;
    }
#if PY_VERSION_HEX >= 0x030C0000
    if (PyModule_AddIntConstant(m, "OWN_GIL", 1) < 0)
        return -1;
#else
    if (PyModule_AddIntConstant(m, "OWN_GIL", 0) < 0)
        return -1;
#endif
    return 0;
}

static PyModuleDef_Slot mod_slots[] = {
    {Py_mod_exec, mod_exec},
#if PY_VERSION_HEX >= 0x030C0000
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED},
#endif
    {0, NULL}};

static struct PyModuleDef mod_def = {
    PyModuleDef_HEAD_INIT, "_subinterp",
    "Subinterpreters driven from the caller's thread, host calls and deadline injection.",
    0, mod_methods, mod_slots, NULL, NULL, NULL};

PyMODINIT_FUNC PyInit__subinterp(void) { return PyModuleDef_Init(&mod_def); }
