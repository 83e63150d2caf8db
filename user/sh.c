/* sh: the shell. Reads command lines from fd 0 (or one line from `-c LINE`)
   and runs them:
     words        separated by blanks; "..." and '...' group, \ escapes one char
     a | b | c    a pipeline of any length (each stage a child process)
     < f  > f  >> f   redirections
     a ; b        one after the other
     a &          in the background ([pid] is printed, nobody waits)
     # ...        a comment to the end of the line
     $NAME ${NAME} $?   the variable's value ("" if unset), the last status;
                  expanded outside '...' quotes
   Builtins: cd, exit [n], wait, kill [-SIGNAL] PID... (a builtin because the pager
   lets only a parent kill: the shell is the parent of its jobs), export
   NAME[=VALUE]..., unset NAME..., NAME=VALUE... (every variable is in the
   environment of the programs the shell starts). The status of a line is that of its last
   pipeline, and a pipeline's is that of its last command (127: not found,
   128 + signal: killed by that signal).
   Job control, when stdin is the console: each pipeline is a process group,
   the one in the foreground is the console's (Ctrl-C sends it SIGINT), and the
   shell itself ignores SIGINT. */
#include "sys.h"

static bool interactive;    /* stdin is the console: job control */

#define LINE_MAX 512
#define MAXARGS 31          /* the pager's exec takes at most 31 arguments */
#define MAXCMDS 16          /* stages of one pipeline */
#define MAXBG 32            /* background pids remembered for "[pid] done" */

/* redirection flags (Linux values, for the open() to come) */
#ifndef O_RDONLY
#define O_RDONLY 0
#define O_WRONLY 1
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_APPEND 02000
#endif

enum { T_WORD, T_PIPE, T_IN, T_OUT, T_APPEND, T_SEMI, T_AMP, T_END, T_ERR };

struct cmd {
    char *argv[MAXARGS + 1];
    int argc;
    char *in, *out;         /* redirection targets, or NULL */
    bool append;            /* out was given with >> */
};

struct pipeline {
    struct cmd cmds[MAXCMDS];
    int n;
};

/* The lexer walks the line and copies each word, unquoted, into words[]. */
struct lexer {
    const char *s;
    char words[2 * LINE_MAX + 2];
    size_t used;
};

static int last_status;
static long bg_pids[MAXBG];

/* ---- input ---- */

static char inbuf[2 * LINE_MAX];
static size_t inlen;
static bool in_eof;

/* Drop the first n bytes of inbuf. */
static void consume(size_t n)
{
    memmove(inbuf, inbuf + n, inlen - n);
    inlen -= n;
}

/* Index of the first newline in inbuf, or -1. */
static long find_newline(void)
{
    for (size_t i = 0; i < inlen; i++)
        if (inbuf[i] == '\n')
            return (long)i;
    return -1;
}

/* Read the next line of fd 0 into line (LINE_MAX + 1 bytes, no newline kept).
   Handles reads that end mid-line or hold several lines; a last line without
   a newline counts. A line longer than LINE_MAX is reported and comes back
   empty. Returns the line's length, or -1 at the end of input. */
static long read_line(char *line)
{
    bool too_long = false;
    for (;;) {
        long nl = find_newline();
        if (nl >= 0 || (in_eof && inlen > 0)) {
            size_t n = nl >= 0 ? (size_t)nl : inlen;
            too_long = too_long || n > LINE_MAX;
            if (!too_long)
                memcpy(line, inbuf, n);
            consume(nl >= 0 ? n + 1 : n);
            if (too_long) {
                dprintf(2, "sh: line too long\n");
                n = 0;
            }
            line[n] = 0;
            return (long)n;
        }
        if (in_eof)
            return -1;
        if (inlen == sizeof inbuf) { /* no newline in sight: drop what we have */
            too_long = true;
            inlen = 0;
        }
        long r = read(0, inbuf + inlen, sizeof inbuf - inlen);
        if (r <= 0)
            in_eof = true;
        else
            inlen += (size_t)r;
    }
}

/* ---- lexer and parser ---- */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_special(char c)
{
    return c == '|' || c == '<' || c == '>' || c == ';' || c == '&';
}

/* How a token looks, for error messages. */
static const char *token_text(int t)
{
    static const char *text[] = { "word", "|", "<", ">", ">>", ";", "&", "newline", "error" };
    return text[t];
}

/* Append the value of the variable at *sp (just past a '$': NAME, {NAME} or ?)
   to out[*n..cap); a '$' before anything else stays itself. Returns false when
   the value does not fit (reported). */
static bool expand_var(const char **sp, char *out, size_t *n, size_t cap)
{
    const char *s = *sp;
    char name[64], num[12];
    size_t len = 0;
    bool braces = *s == '{';
    const char *value;
    if (*s == '?') {
        snprintf(num, sizeof num, "%d", last_status);
        value = num;
        s++;
    } else {
        s += braces;
        while ((*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (len > 0 && *s >= '0' && *s <= '9')) &&
               len + 1 < sizeof name)
            name[len++] = *s++;
        name[len] = 0;
        if (len == 0 || (braces && *s != '}')) {  /* not a variable: keep the '$' */
            if (*n + 1 >= cap)
                goto full;
            out[(*n)++] = '$';
            return true;
        }
        s += braces;
        value = getenv(name);
        if (!value)
            value = "";
    }
    size_t vl = strlen(value);
    if (*n + vl >= cap)
        goto full;
    memcpy(out + *n, value, vl);
    *n += vl;
    *sp = s;
    return true;
full:
    dprintf(2, "sh: the line is too long after $ expansion\n");
    return false;
}

/* Copy the word at lx->s (quotes removed, $variables expanded outside single
   quotes) into lx->words; *word points at it. Returns T_WORD, or T_ERR
   (reported) on an unterminated quote or a word that does not fit. */
static int lex_word(struct lexer *lx, char **word)
{
    const char *s = lx->s;
    char *out = lx->words + lx->used;
    size_t n = 0, cap = sizeof lx->words - lx->used - 1;
    while (*s && !is_blank(*s) && !is_special(*s)) {
        if (n + 2 >= cap) {
            dprintf(2, "sh: the line is too long after $ expansion\n");
            return T_ERR;
        }
        if (*s == '"' || *s == '\'') {
            char q = *s++;
            while (*s && *s != q) {
                if (n + 2 >= cap) {
                    dprintf(2, "sh: the line is too long after $ expansion\n");
                    return T_ERR;
                }
                if (q == '"' && *s == '$') {
                    s++;
                    if (!expand_var(&s, out, &n, cap))
                        return T_ERR;
                } else {
                    out[n++] = *s++;
                }
            }
            if (!*s) {
                dprintf(2, "sh: unterminated %c quote\n", q);
                return T_ERR;
            }
            s++;
        } else if (*s == '\\' && s[1]) {
            out[n++] = s[1];
            s += 2;
        } else if (*s == '$') {
            s++;
            if (!expand_var(&s, out, &n, cap))
                return T_ERR;
        } else {
            out[n++] = *s++;
        }
    }
    out[n] = 0;
    lx->used += n + 1;
    lx->s = s;
    *word = out;
    return T_WORD;
}

/* The next token of the line; for T_WORD, *word is the word's text. */
static int next_token(struct lexer *lx, char **word)
{
    while (is_blank(*lx->s))
        lx->s++;
    char c = *lx->s;
    if (c == 0 || c == '#')
        return T_END;
    if (!is_special(c))
        return lex_word(lx, word);
    lx->s++;
    switch (c) {
    case '|': return T_PIPE;
    case '<': return T_IN;
    case ';': return T_SEMI;
    case '&': return T_AMP;
    }
    if (*lx->s == '>') {
        lx->s++;
        return T_APPEND;
    }
    return T_OUT;
}

/* Report a syntax error at token t; returns T_ERR. */
static int syntax_error(int t)
{
    dprintf(2, "sh: syntax error near '%s'\n", token_text(t));
    return T_ERR;
}

/* Parse one command (words and redirections) into c. Returns the token that
   ended it (| ; & or the end), or T_ERR after reporting an error. */
static int parse_command(struct lexer *lx, struct cmd *c)
{
    memset(c, 0, sizeof *c);
    for (;;) {
        char *w;
        int t = next_token(lx, &w);
        if (t == T_WORD) {
            if (c->argc == MAXARGS) {
                dprintf(2, "sh: too many arguments\n");
                return T_ERR;
            }
            c->argv[c->argc++] = w;
        } else if (t == T_IN || t == T_OUT || t == T_APPEND) {
            int f = next_token(lx, &w);
            if (f != T_WORD)
                return f == T_ERR ? T_ERR : syntax_error(f);
            if (t == T_IN)
                c->in = w;
            else
                c->out = w, c->append = t == T_APPEND;
        } else {
            return t;
        }
    }
}

/* Parse one pipeline into pl. Returns the token that ended it (; & or the
   end), or T_ERR after reporting an error. An empty pipeline (pl->n == 0) is
   allowed before ; or the end. */
static int parse_pipeline(struct lexer *lx, struct pipeline *pl)
{
    pl->n = 0;
    for (;;) {
        if (pl->n == MAXCMDS) {
            dprintf(2, "sh: pipeline too long\n");
            return T_ERR;
        }
        struct cmd *c = &pl->cmds[pl->n];
        int t = parse_command(lx, c);
        if (t == T_ERR)
            return T_ERR;
        if (c->argc == 0) {
            bool nothing = !c->in && !c->out && pl->n == 0;
            return nothing && (t == T_END || t == T_SEMI) ? t : syntax_error(t);
        }
        pl->n++;
        if (t != T_PIPE)
            return t;
    }
}

/* ---- builtins ---- */

static bool is_builtin(const struct cmd *c)
{
    const char *n = c->argv[0];
    return strcmp(n, "cd") == 0 || strcmp(n, "exit") == 0 || strcmp(n, "wait") == 0 ||
           strcmp(n, "kill") == 0 || strcmp(n, "export") == 0 || strcmp(n, "unset") == 0 ||
           (strchr(n, '=') && n[0] != '=');
}

/* NAME=VALUE (alone, or after export): set the variable for the shell and the
   programs it starts (there are no variables that are not exported). export
   NAME with no value keeps NAME as it is. Returns 0, or 1 on a bad name. */
static int assign(const char *what, const char *a)
{
    char name[64];
    const char *eq = strchr(a, '=');
    size_t len = eq ? (size_t)(eq - a) : strlen(a);
    bool ok = len > 0 && len < sizeof name && !(a[0] >= '0' && a[0] <= '9');
    for (size_t i = 0; ok && i < len; i++)
        ok = a[i] == '_' || (a[i] >= 'a' && a[i] <= 'z') || (a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '0' && a[i] <= '9');
    if (!ok) {
        dprintf(2, "sh: %s: '%s': not a valid name\n", what, a);
        return 1;
    }
    memcpy(name, a, len);
    name[len] = 0;
    if (eq && setenv(name, eq + 1, 1) < 0) {
        dprintf(2, "sh: %s: %s: %s\n", what, name, strerror(errno));
        return 1;
    }
    return 0;
}

/* export NAME[=VALUE]..., unset NAME..., or NAME=VALUE... alone. */
static int builtin_vars(const struct cmd *c)
{
    const char *n = c->argv[0];
    int status = 0;
    if (strcmp(n, "unset") == 0) {
        for (int i = 1; i < c->argc; i++)
            unsetenv(c->argv[i]);
        return 0;
    }
    if (strcmp(n, "export") == 0) {
        if (c->argc == 1) {
            for (char **e = environ; *e; e++)
                printf("export %s\n", *e);
            return 0;
        }
        for (int i = 1; i < c->argc; i++)
            status |= assign("export", c->argv[i]);
        return status;
    }
    for (int i = 0; i < c->argc; i++) {
        if (!strchr(c->argv[i], '=')) {
            dprintf(2, "sh: %s: a command after variable assignments is not supported\n", c->argv[i]);
            return 1;
        }
        status |= assign("set", c->argv[i]);
    }
    return status;
}

static void reap_all(void);

/* exit [n]: leave the shell with n, or the last status. */
static void builtin_exit(const struct cmd *c)
{
    if (c->argc < 2)
        exit(last_status);
    const char *a = c->argv[1];
    bool numeric = *a != 0;
    for (const char *s = *a == '-' ? a + 1 : a; *s; s++)
        numeric = numeric && *s >= '0' && *s <= '9';
    if (!numeric) {
        dprintf(2, "sh: exit: %s: numeric argument required\n", a);
        exit(2);
    }
    exit((int)(atol(a) & 0xff));
}

/* kill [-SIGNAL] PID... (libc's kill_main). */
static int builtin_kill(const struct cmd *c)
{
    return kill_main("sh: kill", c->argc, (char **)c->argv);
}

/* Run builtin c in this process; returns its status. */
static int run_builtin(const struct cmd *c)
{
    const char *n = c->argv[0];
    if (strcmp(n, "exit") == 0)
        builtin_exit(c);
    if (strcmp(n, "wait") == 0) {
        reap_all();
        return 0;
    }
    if (strcmp(n, "kill") == 0)
        return builtin_kill(c);
    if (strcmp(n, "cd") != 0)
        return builtin_vars(c);
    const char *dir = c->argc > 1 ? c->argv[1] : "/";
    if (chdir(dir) < 0) {
        dprintf(2, "sh: cd: %s: %s\n", dir, errstr(errno));
        return 1;
    }
    return 0;
}

/* ---- processes ---- */

/* Open path for a redirection: returns a descriptor, or -1 with errno set
   (ENOSYS while no file server runs; EROFS for output while files are
   read-only). */
static int open_file(const char *path, int flags)
{
    return open(path, flags, 0644);
}

/* Make fd `to` refer to what `from` does, and close `from`. */
static void move_fd(int from, int to)
{
    if (from == to)
        return;
    dup2(from, to);
    close(from);
}

/* Apply c's redirections to fds 0 and 1. Returns 0, or -1 (reported). */
static int redirect(const struct cmd *c)
{
    if (c->in) {
        int fd = open_file(c->in, O_RDONLY);
        if (fd < 0) {
            dprintf(2, "sh: %s: %s\n", c->in, errstr(errno));
            return -1;
        }
        move_fd(fd, 0);
    }
    if (c->out) {
        int fd = open_file(c->out, O_WRONLY | O_CREAT | (c->append ? O_APPEND : O_TRUNC));
        if (fd < 0) {
            dprintf(2, "sh: %s: %s\n", c->out, errstr(errno));
            return -1;
        }
        move_fd(fd, 1);
    }
    return 0;
}

/* Give this process an fd 0 that is at end of file at once (a pipe whose
   writer is closed), so a background job cannot take the console's input. */
static void stdin_from_nothing(void)
{
    int fds[2];
    if (pipe(fds) < 0)
        return;
    close(fds[1]);
    move_fd(fds[0], 0);
}

/* In a new child: fd 0 from `in` (if >= 0), fd 1 to out[1] (if >= 0; out[0]
   is the reading end of the same pipe, not ours), redirections, then run c.
   Never returns. */
static void child(const struct cmd *c, int in, const int out[2], bool background, long pg)
{
    if (interactive) {
        setpgid(0, pg); /* pg 0: it leads a new group */
        signal(SIGINT, SIG_DFL);
    }
    if (in >= 0)
        move_fd(in, 0);
    else if (background)
        stdin_from_nothing();
    if (out[1] >= 0) {
        close(out[0]);
        move_fd(out[1], 1);
    }
    if (redirect(c) < 0)
        exit(1);
    if (is_builtin(c))
        exit(run_builtin(c));
    execv(c->argv[0], c->argv);
    dprintf(2, "sh: %s: %s\n", c->argv[0], errstr(errno));
    exit(127);
}

/* Start every stage of pl, each stage's fd 1 piped to the next one's fd 0.
   The shell keeps none of the pipe ends. Returns how many were started
   (their pids in pids[]); fewer than pl->n after a reported failure. */
static int start_pipeline(const struct pipeline *pl, long *pids, bool background)
{
    int in = -1, started = 0;
    long pg = 0; /* the pipeline's process group: its first process's pid */
    for (int i = 0; i < pl->n; i++) {
        int out[2] = { -1, -1 };
        if (i + 1 < pl->n && pipe(out) < 0) {
            dprintf(2, "sh: pipe: %s\n", errstr(errno));
            break;
        }
        long pid = fork();
        if (pid == 0)
            child(&pl->cmds[i], in, out, background, pg);
        if (pid > 0 && interactive) {
            setpgid(pid, pg ? pg : pid); /* as the child does: whichever runs first */
            if (!pg)
                pg = pid;
        }
        if (in >= 0)
            close(in);
        if (out[1] >= 0)
            close(out[1]);
        in = out[0];
        if (pid < 0) {
            dprintf(2, "sh: fork: %s\n", errstr(errno));
            break;
        }
        pids[started++] = pid;
    }
    if (in >= 0)
        close(in);
    return started;
}

/* The status of a process that ended as (how, code); reports a kill. */
static int end_status(long pid, long how, long code)
{
    if (how == WAIT_EXITED)
        return (int)(code & 0xff);
    if (code != SIGINT) /* Ctrl-C: the console showed ^C */
        dprintf(2, "sh: pid %ld killed by signal %ld\n", pid, code);
    return 128 + (int)(code & 0x7f);
}

/* Remember pid as a background job (for the "[pid] done" note). */
static void bg_add(long pid)
{
    for (int i = 0; i < MAXBG; i++) {
        if (bg_pids[i] == 0) {
            bg_pids[i] = pid;
            return;
        }
    }
}

/* A process that is not part of the foreground pipeline has ended: note it. */
static void bg_ended(long pid, long how, long code)
{
    int status = end_status(pid, how, code);
    for (int i = 0; i < MAXBG; i++) {
        if (bg_pids[i] == pid) {
            bg_pids[i] = 0;
            if (status == 0)
                dprintf(2, "[%ld] done\n", pid);
            else
                dprintf(2, "[%ld] exit %d\n", pid, status);
        }
    }
}

/* Wait until all n processes in pids[] have ended (noting other children that
   end meanwhile). Returns the status of the last one. */
static int wait_pipeline(long *pids, int n)
{
    int status = 0, left = n;
    while (left > 0) {
        long how, code;
        long pid = wait_how(-1, &how, &code);
        if (pid < 0)
            break;
        int i = 0;
        while (i < n && pids[i] != pid)
            i++;
        if (i == n) {
            bg_ended(pid, how, code);
            continue;
        }
        int st = end_status(pid, how, code);
        if (i == n - 1)
            status = st;
        pids[i] = 0;
        left--;
    }
    return status;
}

/* The wait builtin: wait for every child. */
static void reap_all(void)
{
    long how, code, pid;
    while ((pid = wait_how(-1, &how, &code)) > 0)
        bg_ended(pid, how, code);
}

/* Run pl: in the foreground (waited for; returns its status) or in the
   background (returns 0 at once). A lone foreground builtin runs in the shell. */
static int run_pipeline(const struct pipeline *pl, bool background)
{
    if (!background && pl->n == 1 && is_builtin(&pl->cmds[0]))
        return run_builtin(&pl->cmds[0]);
    long pids[MAXCMDS];
    int n = start_pipeline(pl, pids, background);
    if (n < pl->n && !background) {
        wait_pipeline(pids, n);
        return 1;
    }
    if (!background) {
        if (interactive && n > 0)
            tcsetpgrp(0, pids[0]); /* Ctrl-C goes to it */
        int status = wait_pipeline(pids, n);
        if (interactive)
            tcsetpgrp(0, getpgrp());
        return status;
    }
    if (n > 0) {
        bg_add(pids[n - 1]);
        dprintf(2, "[%ld]\n", pids[n - 1]);
    }
    return n == pl->n ? 0 : 1;
}

/* Parse and run one line, pipeline by pipeline; sets last_status. */
static void run_line(const char *line)
{
    static struct lexer lx;
    static struct pipeline pl;
    if (strlen(line) > LINE_MAX) {
        dprintf(2, "sh: line too long\n");
        last_status = 2;
        return;
    }
    lx.s = line;
    lx.used = 0;
    for (;;) {
        int t = parse_pipeline(&lx, &pl);
        if (t == T_ERR) {
            last_status = 2;
            return;
        }
        if (pl.n > 0)
            last_status = run_pipeline(&pl, t == T_AMP);
        if (t == T_END)
            return;
    }
}

int main(int argc, char **argv)
{
    static char line[LINE_MAX + 1];
    if (argc >= 2 && strcmp(argv[1], "-c") == 0) {
        if (argc < 3) {
            dprintf(2, "sh: -c: option requires an argument\n");
            return 2;
        }
        run_line(argv[2]);
        return last_status;
    }
    if (argc >= 2) {
        dprintf(2, "usage: sh [-c line]\n");
        return 2;
    }
    if (isatty(0)) {
        interactive = true;
        signal(SIGINT, SIG_IGN);
        setpgid(0, 0);
        tcsetpgrp(0, getpid());
    }
    for (;;) {
        dprintf(2, "$ ");
        if (read_line(line) < 0)
            return last_status;
        run_line(line);
    }
}
