/* Configuration loader: YAML (libyaml events) -> generic tree -> flattened dotted keys ->
 * environment overrides. The rules are documented in ais/config.h and in the header comment of
 * config/hanoi_pipeline.yaml; the Python loader applies the same ones. */
#include "ais/config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "ais/fsutil.h"

/* Deep nesting and alias expansion are bounded so a hostile or broken file cannot exhaust the
 * stack or memory ("billion laughs"). The real file is 4 levels deep and has ~200 nodes. */
#define MAX_DEPTH 64
#define MAX_NODES 200000

/* ---------------------------------------------------------------------------------------- */
/* Generic tree                                                                             */

typedef enum node_kind { NODE_SCALAR, NODE_MAP, NODE_SEQ } node_kind;

typedef struct node {
    node_kind kind;
    char *text;             /* NODE_SCALAR: the scalar text */
    char **keys;            /* NODE_MAP: keys, parallel to children */
    struct node **children; /* NODE_MAP values or NODE_SEQ items */
    size_t count, cap;
    size_t line, column; /* 1-based position of the node's first character */
} node;

static void node_free(node *n)
{
    if (n == NULL)
        return;
    free(n->text);
    for (size_t i = 0; i < n->count; i++) {
        if (n->keys != NULL)
            free(n->keys[i]);
        node_free(n->children[i]);
    }
    free(n->keys);
    free(n->children);
    free(n);
}

static node *node_new(node_kind kind, const yaml_mark_t *mark)
{
    node *n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    n->kind = kind;
    n->line = mark->line + 1;
    n->column = mark->column + 1;
    return n;
}

/* Appends a child (and for maps its key, whose ownership moves to the node). */
static ais_status node_append(node *parent, char *key, node *child)
{
    if (parent->count == parent->cap) {
        size_t cap = parent->cap ? parent->cap * 2 : 8;
        node **children = realloc(parent->children, cap * sizeof *children);
        if (children == NULL)
            return AIS_ERR_NOMEM;
        parent->children = children;
        if (parent->kind == NODE_MAP) {
            char **keys = realloc(parent->keys, cap * sizeof *keys);
            if (keys == NULL)
                return AIS_ERR_NOMEM;
            parent->keys = keys;
        }
        parent->cap = cap;
    }
    if (parent->kind == NODE_MAP)
        parent->keys[parent->count] = key;
    parent->children[parent->count++] = child;
    return AIS_OK;
}

static const node *map_find(const node *map, const char *key)
{
    if (map == NULL || map->kind != NODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->count; i++)
        if (strcmp(map->keys[i], key) == 0)
            return map->children[i];
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* YAML events -> tree                                                                      */

typedef struct anchor {
    char *name;
    node *target; /* owned by the tree */
} anchor;

typedef struct loader {
    yaml_parser_t parser;
    const char *path;
    char *errbuf;
    size_t errsize;
    anchor *anchors;
    size_t n_anchors, cap_anchors;
    size_t nodes; /* created so far, against MAX_NODES */
} loader;

#define LOADER_ERROR(ld, mark, ...)                                                              \
    loader_error_at((ld), (mark)->line + 1, (mark)->column + 1, __VA_ARGS__)

#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
static void loader_error_at(loader *ld, size_t line, size_t column, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ais_format_message(ld->errbuf, ld->errsize, "%s:%zu:%zu: %s", ld->path, line, column, msg);
}

static ais_status next_event(loader *ld, yaml_event_t *ev)
{
    if (yaml_parser_parse(&ld->parser, ev))
        return AIS_OK;
    const yaml_parser_t *p = &ld->parser;
    const char *problem = p->problem ? p->problem : "unknown YAML error";
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        ais_format_message(ld->errbuf, ld->errsize, "%s: out of memory while parsing", ld->path);
        return AIS_ERR_NOMEM;
    case YAML_READER_ERROR:
        /* The reader reports a byte offset, not a line (e.g. invalid UTF-8). */
        ais_format_message(ld->errbuf, ld->errsize, "%s: byte %zu: %s", ld->path, p->problem_offset,
                           problem);
        return AIS_ERR_CONFIG_SYNTAX;
    default:
        if (p->context != NULL)
            ais_format_message(ld->errbuf, ld->errsize, "%s:%zu:%zu: %s %s (line %zu, column %zu)",
                               ld->path, p->problem_mark.line + 1, p->problem_mark.column + 1,
                               problem, p->context, p->context_mark.line + 1,
                               p->context_mark.column + 1);
        else
            ais_format_message(ld->errbuf, ld->errsize, "%s:%zu:%zu: %s", ld->path,
                               p->problem_mark.line + 1, p->problem_mark.column + 1, problem);
        return AIS_ERR_CONFIG_SYNTAX;
    }
}

static ais_status count_node(loader *ld, const yaml_mark_t *mark)
{
    if (++ld->nodes > MAX_NODES) {
        LOADER_ERROR(ld, mark, "more than %d nodes (alias expansion?)", MAX_NODES);
        return AIS_ERR_CONFIG_INVALID;
    }
    return AIS_OK;
}

/* Aliases are expanded by copying, so the tree stays a tree and freeing stays simple. */
static ais_status node_copy(loader *ld, const node *src, const yaml_mark_t *mark, node **out)
{
    ais_status st = count_node(ld, mark);
    if (st != AIS_OK)
        return st;
    node *n = node_new(src->kind, mark);
    if (n == NULL)
        return AIS_ERR_NOMEM;
    n->line = src->line;
    n->column = src->column;
    if (src->kind == NODE_SCALAR) {
        n->text = strdup(src->text);
        if (n->text == NULL) {
            node_free(n);
            return AIS_ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < src->count; i++) {
        char *key = NULL;
        node *child = NULL;
        if (src->kind == NODE_MAP && (key = strdup(src->keys[i])) == NULL) {
            node_free(n);
            return AIS_ERR_NOMEM;
        }
        st = node_copy(ld, src->children[i], mark, &child);
        if (st == AIS_OK)
            st = node_append(n, key, child);
        if (st != AIS_OK) {
            free(key);
            node_free(child);
            node_free(n);
            return st;
        }
    }
    *out = n;
    return AIS_OK;
}

static ais_status register_anchor(loader *ld, const yaml_char_t *name, node *target)
{
    if (name == NULL)
        return AIS_OK;
    if (ld->n_anchors == ld->cap_anchors) {
        size_t cap = ld->cap_anchors ? ld->cap_anchors * 2 : 8;
        anchor *a = realloc(ld->anchors, cap * sizeof *a);
        if (a == NULL)
            return AIS_ERR_NOMEM;
        ld->anchors = a;
        ld->cap_anchors = cap;
    }
    char *copy = strdup((const char *)name);
    if (copy == NULL)
        return AIS_ERR_NOMEM;
    ld->anchors[ld->n_anchors].name = copy;
    ld->anchors[ld->n_anchors].target = target;
    ld->n_anchors++;
    return AIS_OK;
}

static ais_status parse_node(loader *ld, yaml_event_t *ev, int depth, node **out);

/* A mapping key must be a plain scalar text (or an alias of one). */
static ais_status parse_key(loader *ld, yaml_event_t *ev, int depth, char **key_out)
{
    const char *problem = NULL;
    if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
        strcmp((const char *)ev->data.scalar.value, "<<") == 0)
        problem = "merge keys (<<) are not supported";
    else if (ev->type == YAML_SCALAR_EVENT && ev->data.scalar.anchor != NULL)
        /* A key's node is discarded once its text is taken, so it cannot be an anchor. */
        problem = "anchors on mapping keys are not supported";
    else if (ev->type != YAML_SCALAR_EVENT && ev->type != YAML_ALIAS_EVENT)
        problem = "mapping keys must be scalars";
    if (problem != NULL) {
        LOADER_ERROR(ld, &ev->start_mark, "%s", problem);
        yaml_event_delete(ev);
        return AIS_ERR_CONFIG_INVALID;
    }
    yaml_mark_t mark = ev->start_mark;
    node *k = NULL;
    ais_status st = parse_node(ld, ev, depth + 1, &k);
    if (st != AIS_OK)
        return st;
    if (k->kind != NODE_SCALAR) {
        node_free(k);
        LOADER_ERROR(ld, &mark, "mapping keys must be scalars");
        return AIS_ERR_CONFIG_INVALID;
    }
    *key_out = k->text;
    k->text = NULL;
    node_free(k);
    return AIS_OK;
}

static ais_status parse_collection(loader *ld, node *n, yaml_event_type_t end_type, int depth)
{
    for (;;) {
        yaml_event_t ev;
        ais_status st = next_event(ld, &ev);
        if (st != AIS_OK)
            return st;
        if (ev.type == end_type) {
            yaml_event_delete(&ev);
            return AIS_OK;
        }
        char *key = NULL;
        yaml_mark_t key_mark = ev.start_mark;
        if (n->kind == NODE_MAP) {
            st = parse_key(ld, &ev, depth, &key); /* consumes ev */
            if (st != AIS_OK)
                return st;
            if (map_find(n, key) != NULL) {
                LOADER_ERROR(ld, &key_mark, "duplicate key '%s'", key);
                free(key);
                return AIS_ERR_CONFIG_INVALID;
            }
            st = next_event(ld, &ev);
            if (st != AIS_OK) {
                free(key);
                return st;
            }
        }
        node *child = NULL;
        st = parse_node(ld, &ev, depth + 1, &child); /* consumes ev */
        if (st == AIS_OK)
            st = node_append(n, key, child);
        if (st != AIS_OK) {
            free(key);
            node_free(child);
            return st;
        }
    }
}

/* Builds the node starting with *ev. Always deletes *ev. */
static ais_status parse_node(loader *ld, yaml_event_t *ev, int depth, node **out)
{
    ais_status st = AIS_OK;
    node *n = NULL;
    const yaml_char_t *anchor_name = NULL;
    *out = NULL;

    if (depth > MAX_DEPTH) {
        LOADER_ERROR(ld, &ev->start_mark, "nesting deeper than %d levels", MAX_DEPTH);
        yaml_event_delete(ev);
        return AIS_ERR_CONFIG_INVALID;
    }
    st = count_node(ld, &ev->start_mark);
    if (st != AIS_OK) {
        yaml_event_delete(ev);
        return st;
    }

    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        if (strlen((const char *)ev->data.scalar.value) != ev->data.scalar.length) {
            LOADER_ERROR(ld, &ev->start_mark, "scalar contains a NUL character");
            st = AIS_ERR_CONFIG_INVALID;
            break;
        }
        n = node_new(NODE_SCALAR, &ev->start_mark);
        if (n == NULL || (n->text = strdup((const char *)ev->data.scalar.value)) == NULL) {
            st = AIS_ERR_NOMEM;
            break;
        }
        anchor_name = ev->data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        n = node_new(is_map ? NODE_MAP : NODE_SEQ, &ev->start_mark);
        if (n == NULL) {
            st = AIS_ERR_NOMEM;
            break;
        }
        st = parse_collection(ld, n, is_map ? YAML_MAPPING_END_EVENT : YAML_SEQUENCE_END_EVENT,
                              depth);
        /* Registered only once complete, so an alias inside its own anchor is "undefined"
         * rather than a cycle. */
        anchor_name = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        break;
    }
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        const anchor *found = NULL;
        for (size_t i = ld->n_anchors; i > 0; i--) /* the latest definition wins */
            if (strcmp(ld->anchors[i - 1].name, name) == 0) {
                found = &ld->anchors[i - 1];
                break;
            }
        if (found == NULL) {
            LOADER_ERROR(ld, &ev->start_mark, "undefined alias '%s'", name);
            st = AIS_ERR_CONFIG_SYNTAX;
            break;
        }
        ld->nodes--; /* node_copy counts the copy itself */
        st = node_copy(ld, found->target, &ev->start_mark, &n);
        break;
    }
    default:
        LOADER_ERROR(ld, &ev->start_mark, "unexpected YAML event");
        st = AIS_ERR_CONFIG_SYNTAX;
        break;
    }

    if (st == AIS_OK)
        st = register_anchor(ld, anchor_name, n);
    yaml_event_delete(ev);
    if (st != AIS_OK) {
        node_free(n);
        return st;
    }
    *out = n;
    return AIS_OK;
}

/* Parses a stream holding exactly one document whose root is a mapping. */
static ais_status parse_document(loader *ld, node **root_out)
{
    yaml_event_t ev;
    ais_status st;
    node *root = NULL;

    if ((st = next_event(ld, &ev)) != AIS_OK)
        return st;
    yaml_event_delete(&ev); /* STREAM-START */
    if ((st = next_event(ld, &ev)) != AIS_OK)
        return st;
    if (ev.type == YAML_STREAM_END_EVENT) {
        ais_format_message(ld->errbuf, ld->errsize, "%s: the configuration is empty", ld->path);
        yaml_event_delete(&ev);
        return AIS_ERR_CONFIG_INVALID;
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */
    if ((st = next_event(ld, &ev)) != AIS_OK)
        return st;
    yaml_mark_t root_mark = ev.start_mark;
    if ((st = parse_node(ld, &ev, 0, &root)) != AIS_OK)
        return st;
    if (root->kind != NODE_MAP) {
        LOADER_ERROR(ld, &root_mark, "the top level must be a mapping");
        node_free(root);
        return AIS_ERR_CONFIG_INVALID;
    }
    if ((st = next_event(ld, &ev)) != AIS_OK) { /* DOCUMENT-END */
        node_free(root);
        return st;
    }
    yaml_event_delete(&ev);
    if ((st = next_event(ld, &ev)) != AIS_OK) {
        node_free(root);
        return st;
    }
    if (ev.type != YAML_STREAM_END_EVENT) {
        LOADER_ERROR(ld, &ev.start_mark, "more than one YAML document");
        yaml_event_delete(&ev);
        node_free(root);
        return AIS_ERR_CONFIG_INVALID;
    }
    yaml_event_delete(&ev);
    *root_out = root;
    return AIS_OK;
}

static ais_status parse_file(FILE *fp, const char *path, node **root_out, char *errbuf,
                             size_t errsize)
{
    loader ld;
    memset(&ld, 0, sizeof ld);
    ld.path = path;
    ld.errbuf = errbuf;
    ld.errsize = errsize;
    if (!yaml_parser_initialize(&ld.parser))
        return AIS_ERR_NOMEM;
    yaml_parser_set_input_file(&ld.parser, fp);
    ais_status st = parse_document(&ld, root_out);
    yaml_parser_delete(&ld.parser);
    for (size_t i = 0; i < ld.n_anchors; i++)
        free(ld.anchors[i].name);
    free(ld.anchors);
    return st;
}

/* ---------------------------------------------------------------------------------------- */
/* Flattened configuration                                                                  */

typedef struct entry {
    char *key;
    char *value;    /* NODE_SCALAR only */
    node_kind kind;
    size_t count;   /* NODE_MAP / NODE_SEQ: number of children */
} entry;

typedef struct secret {
    char *name;
    char *value; /* NULL when unset */
} secret;

struct ais_config {
    char *path;
    char *project_root;
    entry *entries; /* file order */
    size_t n_entries, cap_entries;
    size_t *by_key; /* indices into entries, sorted by key for bsearch */
    size_t n_scalars;
    size_t *scalars; /* indices of scalar entries in file order */
    secret *secrets;
    size_t n_secrets;
};

static ais_status add_entry(ais_config *cfg, char *key, const node *n)
{
    if (cfg->n_entries == cfg->cap_entries) {
        size_t cap = cfg->cap_entries ? cfg->cap_entries * 2 : 64;
        entry *e = realloc(cfg->entries, cap * sizeof *e);
        if (e == NULL)
            return AIS_ERR_NOMEM;
        cfg->entries = e;
        cfg->cap_entries = cap;
    }
    entry *e = &cfg->entries[cfg->n_entries];
    e->key = key;
    e->kind = n->kind;
    e->count = n->count;
    e->value = NULL;
    if (n->kind == NODE_SCALAR && (e->value = strdup(n->text)) == NULL)
        return AIS_ERR_NOMEM;
    cfg->n_entries++;
    return AIS_OK;
}

static char *join_key(const char *prefix, const char *part)
{
    size_t plen = strlen(prefix), len = strlen(part);
    char *s = malloc(plen + 1 + len + 1);
    if (s == NULL)
        return NULL;
    if (plen == 0) {
        memcpy(s, part, len + 1);
    } else {
        memcpy(s, prefix, plen);
        s[plen] = '.';
        memcpy(s + plen + 1, part, len + 1);
    }
    return s;
}

static ais_status flatten(ais_config *cfg, const node *n, const char *prefix)
{
    for (size_t i = 0; i < n->count; i++) {
        char index[24];
        const char *part = n->keys ? n->keys[i] : index;
        if (n->keys == NULL)
            snprintf(index, sizeof index, "%zu", i);
        char *key = join_key(prefix, part);
        if (key == NULL)
            return AIS_ERR_NOMEM;
        ais_status st = add_entry(cfg, key, n->children[i]);
        if (st != AIS_OK) {
            free(key);
            return st;
        }
        if (n->children[i]->kind != NODE_SCALAR) {
            /* The entries array may move; pass the key through a stable copy. */
            st = flatten(cfg, n->children[i], cfg->entries[cfg->n_entries - 1].key);
            if (st != AIS_OK)
                return st;
        }
    }
    return AIS_OK;
}

/* qsort has no context argument in C11; sort an array of key pointers instead. */
typedef struct keyed {
    const char *key;
    size_t index;
} keyed;

static int compare_keyed(const void *a, const void *b)
{
    return strcmp(((const keyed *)a)->key, ((const keyed *)b)->key);
}

static ais_status build_index(ais_config *cfg, char *errbuf, size_t errsize)
{
    keyed *tmp = malloc((cfg->n_entries ? cfg->n_entries : 1) * sizeof *tmp);
    cfg->by_key = malloc((cfg->n_entries ? cfg->n_entries : 1) * sizeof *cfg->by_key);
    cfg->scalars = malloc((cfg->n_entries ? cfg->n_entries : 1) * sizeof *cfg->scalars);
    if (tmp == NULL || cfg->by_key == NULL || cfg->scalars == NULL) {
        free(tmp);
        return AIS_ERR_NOMEM;
    }
    for (size_t i = 0; i < cfg->n_entries; i++) {
        tmp[i].key = cfg->entries[i].key;
        tmp[i].index = i;
        if (cfg->entries[i].kind == NODE_SCALAR)
            cfg->scalars[cfg->n_scalars++] = i;
    }
    qsort(tmp, cfg->n_entries, sizeof *tmp, compare_keyed);
    for (size_t i = 0; i < cfg->n_entries; i++) {
        if (i > 0 && strcmp(tmp[i - 1].key, tmp[i].key) == 0) {
            /* e.g. "a.b: 1" next to "a: {b: 2}" */
            ais_format_message(errbuf, errsize,
                               "%s: two keys flatten to the same name '%s'", cfg->path,
                               tmp[i].key);
            free(tmp);
            return AIS_ERR_CONFIG_INVALID;
        }
        cfg->by_key[i] = tmp[i].index;
    }
    free(tmp);
    return AIS_OK;
}

static entry *find_entry(const ais_config *cfg, const char *key)
{
    size_t lo = 0, hi = cfg->n_entries;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        entry *e = &cfg->entries[cfg->by_key[mid]];
        int c = strcmp(key, e->key);
        if (c == 0)
            return e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* KAFKA_BOOTSTRAP_SERVERS from kafka_bootstrap_servers. ASCII only, whatever the locale. */
static char *env_name_of(const char *key)
{
    char *s = strdup(key);
    if (s == NULL)
        return NULL;
    for (char *p = s; *p; p++)
        if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    return s;
}

static ais_status replace_value(entry *e, const char *value)
{
    char *copy = strdup(value);
    if (copy == NULL)
        return AIS_ERR_NOMEM;
    free(e->value);
    e->value = copy;
    return AIS_OK;
}

static ais_status apply_env_overrides(ais_config *cfg, const node *root, char *errbuf,
                                      size_t errsize)
{
    const node *runtime = map_find(root, "runtime");
    const node *aliases = map_find(root, "env_aliases");

    if (runtime != NULL && runtime->kind != NODE_MAP) {
        ais_format_message(errbuf, errsize, "%s:%zu:%zu: 'runtime' must be a mapping", cfg->path,
                           runtime->line, runtime->column);
        return AIS_ERR_CONFIG_INVALID;
    }
    if (aliases != NULL && aliases->kind != NODE_MAP) {
        ais_format_message(errbuf, errsize,
                           "%s:%zu:%zu: 'env_aliases' must be a mapping", cfg->path,
                           aliases->line, aliases->column);
        return AIS_ERR_CONFIG_INVALID;
    }
    for (size_t i = 0; aliases != NULL && i < aliases->count; i++) {
        const node *target = aliases->children[i];
        if (target->kind != NODE_SCALAR || map_find(runtime, target->text) == NULL) {
            ais_format_message(errbuf, errsize,
                               "%s:%zu:%zu: env_aliases.%s must name a runtime key",
                               cfg->path, target->line, target->column, aliases->keys[i]);
            return AIS_ERR_CONFIG_INVALID;
        }
    }
    for (size_t i = 0; runtime != NULL && i < runtime->count; i++) {
        const char *key = runtime->keys[i];
        const node *value = runtime->children[i];
        if (value->kind != NODE_SCALAR) {
            ais_format_message(errbuf, errsize,
                               "%s:%zu:%zu: runtime.%s must be a scalar", cfg->path,
                               value->line, value->column, key);
            return AIS_ERR_CONFIG_INVALID;
        }
        char *env_name = env_name_of(key);
        char *dotted = join_key("runtime", key);
        if (env_name == NULL || dotted == NULL) {
            free(env_name);
            free(dotted);
            return AIS_ERR_NOMEM;
        }
        const char *override = getenv(env_name);
        for (size_t a = 0; override == NULL && aliases != NULL && a < aliases->count; a++)
            if (strcmp(aliases->children[a]->text, key) == 0)
                override = getenv(aliases->keys[a]);
        entry *e = find_entry(cfg, dotted);
        ais_status st = AIS_OK;
        if (override != NULL && e != NULL)
            st = replace_value(e, override);
        free(env_name);
        free(dotted);
        if (st != AIS_OK)
            return st;
    }
    return AIS_OK;
}

/* runtime.kafka_topic_prefix, when not empty, is put in front of every kafka.topics.* name, so
 * that several deployments (or test runs) can share one Kafka cluster. Applied once, after the
 * environment overrides, exactly as the Python loader does. */
static ais_status apply_topic_prefix(ais_config *cfg)
{
    const entry *prefix = find_entry(cfg, "runtime.kafka_topic_prefix");
    if (prefix == NULL || prefix->value == NULL || prefix->value[0] == '\0')
        return AIS_OK;
    static const char topics[] = "kafka.topics.";
    for (size_t i = 0; i < cfg->n_entries; i++) {
        entry *e = &cfg->entries[i];
        if (e->kind != NODE_SCALAR || e->value == NULL || strncmp(e->key, topics, sizeof topics - 1) != 0)
            continue;
        size_t n = strlen(prefix->value) + strlen(e->value) + 1;
        char *name = malloc(n);
        if (name == NULL)
            return AIS_ERR_NOMEM;
        snprintf(name, n, "%s%s", prefix->value, e->value);
        free(e->value);
        e->value = name;
    }
    return AIS_OK;
}

static ais_status read_secrets(ais_config *cfg, const node *root, char *errbuf, size_t errsize)
{
    const node *list = map_find(root, "secrets");
    if (list == NULL)
        return AIS_OK;
    if (list->kind != NODE_SEQ) {
        ais_format_message(errbuf, errsize,
                           "%s:%zu:%zu: 'secrets' must be a sequence of names", cfg->path,
                           list->line, list->column);
        return AIS_ERR_CONFIG_INVALID;
    }
    cfg->secrets = calloc(list->count ? list->count : 1, sizeof *cfg->secrets);
    if (cfg->secrets == NULL)
        return AIS_ERR_NOMEM;
    for (size_t i = 0; i < list->count; i++) {
        const node *item = list->children[i];
        if (item->kind != NODE_SCALAR || item->text[0] == '\0') {
            ais_format_message(errbuf, errsize, "%s:%zu:%zu: secrets.%zu must be a variable name",
                               cfg->path, item->line, item->column, i);
            return AIS_ERR_CONFIG_INVALID;
        }
        secret *s = &cfg->secrets[cfg->n_secrets++];
        if ((s->name = strdup(item->text)) == NULL)
            return AIS_ERR_NOMEM;
        const char *value = getenv(s->name);
        if (value != NULL && (s->value = strdup(value)) == NULL)
            return AIS_ERR_NOMEM;
    }
    return AIS_OK;
}

/* ---------------------------------------------------------------------------------------- */
/* Locating the file                                                                        */

static int is_regular_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static char *current_dir(void)
{
    size_t size = 256;
    for (;;) {
        char *buf = malloc(size);
        if (buf == NULL)
            return NULL;
        if (getcwd(buf, size) != NULL)
            return buf;
        free(buf);
        if (errno != ERANGE || size > (1u << 20))
            return NULL;
        size *= 2;
    }
}

/* Cuts the last path component: "/a/b" -> "/a", "/a" -> "/". */
static void strip_last_component(char *path)
{
    char *slash = strrchr(path, '/');
    if (slash == NULL)
        return;
    if (slash == path)
        slash[1] = '\0';
    else
        *slash = '\0';
}

/* The file to load, as a new string: argument, environment, or search upward from the
 * current directory. */
static ais_status locate_config(const char *path_arg, char **out, char *errbuf, size_t errsize)
{
    const char *env = getenv(AIS_CONFIG_ENV_PATH);
    const char *given = path_arg != NULL ? path_arg : (env != NULL && env[0] ? env : NULL);
    if (given != NULL) {
        if (given[0] == '\0') {
            ais_format_message(errbuf, errsize, "empty configuration path");
            return AIS_ERR_INVALID_ARG;
        }
        *out = strdup(given);
        return *out != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }

    char *dir = current_dir();
    if (dir == NULL) {
        ais_format_message(errbuf, errsize,
                           "cannot read the current directory: %s", strerror(errno));
        return AIS_ERR_IO;
    }
    for (;;) {
        char *candidate = NULL;
        ais_status st = ais_fs_path_join(dir, AIS_CONFIG_DEFAULT_RELPATH, &candidate);
        if (st != AIS_OK) {
            free(dir);
            return st;
        }
        if (is_regular_file(candidate)) {
            free(dir);
            *out = candidate;
            return AIS_OK;
        }
        free(candidate);
        if (strcmp(dir, "/") == 0)
            break;
        strip_last_component(dir);
    }
    free(dir);
    ais_format_message(errbuf, errsize,
                       "no configuration: pass a path, set %s, or run inside the project "
                       "(looked for %s in the current directory and its parents)",
                       AIS_CONFIG_ENV_PATH, AIS_CONFIG_DEFAULT_RELPATH);
    return AIS_ERR_CONFIG_NOT_FOUND;
}

/* ---------------------------------------------------------------------------------------- */
/* Public API                                                                               */

void ais_config_free(ais_config *cfg)
{
    if (cfg == NULL)
        return;
    for (size_t i = 0; i < cfg->n_entries; i++) {
        free(cfg->entries[i].key);
        free(cfg->entries[i].value);
    }
    for (size_t i = 0; i < cfg->n_secrets; i++) {
        free(cfg->secrets[i].name);
        if (cfg->secrets[i].value != NULL) {
            /* Do not leave credentials in freed heap memory. */
            explicit_bzero(cfg->secrets[i].value, strlen(cfg->secrets[i].value));
            free(cfg->secrets[i].value);
        }
    }
    free(cfg->secrets);
    free(cfg->entries);
    free(cfg->by_key);
    free(cfg->scalars);
    free(cfg->path);
    free(cfg->project_root);
    free(cfg);
}

ais_status ais_config_load(const char *path_or_null, ais_config **out)
{
    return ais_config_load_ex(path_or_null, out, NULL, 0);
}

ais_status ais_config_load_ex(const char *path_or_null, ais_config **out, char *errbuf,
                              size_t errbuf_size)
{
    char *path = NULL;
    node *root = NULL;
    ais_config *cfg = NULL;
    FILE *fp = NULL;
    ais_status st;

    if (errbuf != NULL && errbuf_size > 0)
        errbuf[0] = '\0';
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    *out = NULL;

    st = locate_config(path_or_null, &path, errbuf, errbuf_size);
    if (st != AIS_OK)
        return st;

    cfg = calloc(1, sizeof *cfg);
    if (cfg == NULL) {
        st = AIS_ERR_NOMEM;
        goto done;
    }
    cfg->path = realpath(path, NULL);
    if (cfg->path == NULL || !is_regular_file(cfg->path)) {
        int err = cfg->path == NULL ? errno : EISDIR;
        ais_format_message(errbuf, errbuf_size, "%s: %s", path, strerror(err));
        st = err == ENOENT || err == ENOTDIR ? AIS_ERR_CONFIG_NOT_FOUND
                                             : (err == ENOMEM ? AIS_ERR_NOMEM : AIS_ERR_IO);
        goto done;
    }
    fp = fopen(cfg->path, "rb");
    if (fp == NULL) {
        ais_format_message(errbuf, errbuf_size, "%s: %s", cfg->path, strerror(errno));
        st = errno == ENOENT ? AIS_ERR_CONFIG_NOT_FOUND : AIS_ERR_IO;
        goto done;
    }
    st = parse_file(fp, cfg->path, &root, errbuf, errbuf_size);
    if (st != AIS_OK)
        goto done;

    /* project root = parent of the folder holding the file */
    cfg->project_root = strdup(cfg->path);
    if (cfg->project_root == NULL) {
        st = AIS_ERR_NOMEM;
        goto done;
    }
    strip_last_component(cfg->project_root);
    strip_last_component(cfg->project_root);

    if ((st = flatten(cfg, root, "")) != AIS_OK)
        goto done;
    if ((st = build_index(cfg, errbuf, errbuf_size)) != AIS_OK)
        goto done;
    if ((st = apply_env_overrides(cfg, root, errbuf, errbuf_size)) != AIS_OK)
        goto done;
    if ((st = apply_topic_prefix(cfg)) != AIS_OK)
        goto done;
    if ((st = read_secrets(cfg, root, errbuf, errbuf_size)) != AIS_OK)
        goto done;

done:
    if (st == AIS_ERR_NOMEM)
        ais_format_message(errbuf, errbuf_size, "%s: out of memory", path);
    if (fp != NULL)
        fclose(fp);
    node_free(root);
    free(path);
    if (st != AIS_OK) {
        ais_config_free(cfg);
        return st;
    }
    *out = cfg;
    return AIS_OK;
}

const char *ais_config_path(const ais_config *cfg)
{
    return cfg != NULL ? cfg->path : NULL;
}

const char *ais_config_project_root(const ais_config *cfg)
{
    return cfg != NULL ? cfg->project_root : NULL;
}

const char *ais_config_get(const ais_config *cfg, const char *key)
{
    if (cfg == NULL || key == NULL)
        return NULL;
    const entry *e = find_entry(cfg, key);
    return e != NULL && e->kind == NODE_SCALAR ? e->value : NULL;
}

ais_status ais_config_get_string(const ais_config *cfg, const char *key, const char **out)
{
    if (cfg == NULL || key == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    const entry *e = find_entry(cfg, key);
    if (e == NULL)
        return AIS_ERR_KEY_NOT_FOUND;
    if (e->kind != NODE_SCALAR)
        return AIS_ERR_TYPE;
    *out = e->value;
    return AIS_OK;
}

ais_status ais_config_get_double(const ais_config *cfg, const char *key, double *out)
{
    const char *text;
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_config_get_string(cfg, key, &text);
    if (st != AIS_OK)
        return st;
    /* Plain decimal notation only: strtod would also take "nan", "inf", hex and blanks. */
    if (text[0] == '\0' || strspn(text, "0123456789+-.eE") != strlen(text))
        return AIS_ERR_TYPE;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end != '\0')
        return AIS_ERR_TYPE;
    if (errno == ERANGE || !isfinite(v))
        return AIS_ERR_RANGE;
    *out = v;
    return AIS_OK;
}

ais_status ais_config_get_long(const ais_config *cfg, const char *key, long *out)
{
    const char *text;
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_config_get_string(cfg, key, &text);
    if (st != AIS_OK)
        return st;
    const char *digits = (text[0] == '+' || text[0] == '-') ? text + 1 : text;
    if (digits[0] < '0' || digits[0] > '9')
        return AIS_ERR_TYPE;
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end != '\0')
        return AIS_ERR_TYPE;
    if (errno == ERANGE)
        return AIS_ERR_RANGE;
    *out = v;
    return AIS_OK;
}

static int equals_ignore_case(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char ca = (*a >= 'A' && *a <= 'Z') ? (char)(*a - 'A' + 'a') : *a;
        if (ca != *b)
            return 0;
    }
    return *a == '\0' && *b == '\0';
}

ais_status ais_config_get_bool(const ais_config *cfg, const char *key, bool *out)
{
    static const char *const truthy[] = {"true", "yes", "on", "1"};
    static const char *const falsy[] = {"false", "no", "off", "0"};
    const char *text;
    if (out == NULL)
        return AIS_ERR_INVALID_ARG;
    ais_status st = ais_config_get_string(cfg, key, &text);
    if (st != AIS_OK)
        return st;
    for (size_t i = 0; i < sizeof truthy / sizeof truthy[0]; i++) {
        if (equals_ignore_case(text, truthy[i])) {
            *out = true;
            return AIS_OK;
        }
        if (equals_ignore_case(text, falsy[i])) {
            *out = false;
            return AIS_OK;
        }
    }
    return AIS_ERR_TYPE;
}

ais_status ais_config_list_len(const ais_config *cfg, const char *key, size_t *out)
{
    if (cfg == NULL || key == NULL || out == NULL)
        return AIS_ERR_INVALID_ARG;
    const entry *e = find_entry(cfg, key);
    if (e == NULL)
        return AIS_ERR_KEY_NOT_FOUND;
    if (e->kind != NODE_SEQ)
        return AIS_ERR_TYPE;
    *out = e->count;
    return AIS_OK;
}

size_t ais_config_count(const ais_config *cfg)
{
    return cfg != NULL ? cfg->n_scalars : 0;
}

ais_status ais_config_entry(const ais_config *cfg, size_t index, const char **key,
                            const char **value)
{
    if (cfg == NULL || key == NULL || value == NULL)
        return AIS_ERR_INVALID_ARG;
    if (index >= cfg->n_scalars)
        return AIS_ERR_RANGE;
    const entry *e = &cfg->entries[cfg->scalars[index]];
    *key = e->key;
    *value = e->value;
    return AIS_OK;
}

const char *ais_config_secret(const ais_config *cfg, const char *name)
{
    if (cfg == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < cfg->n_secrets; i++)
        if (strcmp(cfg->secrets[i].name, name) == 0)
            return cfg->secrets[i].value;
    return NULL;
}

size_t ais_config_secret_count(const ais_config *cfg)
{
    return cfg != NULL ? cfg->n_secrets : 0;
}

ais_status ais_config_secret_at(const ais_config *cfg, size_t index, const char **name,
                                bool *is_set)
{
    if (cfg == NULL || name == NULL || is_set == NULL)
        return AIS_ERR_INVALID_ARG;
    if (index >= cfg->n_secrets)
        return AIS_ERR_RANGE;
    *name = cfg->secrets[index].name;
    *is_set = cfg->secrets[index].value != NULL;
    return AIS_OK;
}

/* RFC 3986 scheme followed by "://": ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static int has_uri_scheme(const char *s)
{
    const char *p = s;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
        return 0;
    for (p++; *p; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 *p == '+' || *p == '-' || *p == '.';
        if (!ok)
            break;
    }
    return strncmp(p, "://", 3) == 0;
}

ais_status ais_config_resolve_path(const ais_config *cfg, const char *value, char **out)
{
    if (cfg == NULL || value == NULL || out == NULL || value[0] == '\0')
        return AIS_ERR_INVALID_ARG;
    if (value[0] == '/' || has_uri_scheme(value)) {
        *out = strdup(value);
        return *out != NULL ? AIS_OK : AIS_ERR_NOMEM;
    }
    return ais_fs_path_join(cfg->project_root, value, out);
}
