/*
 * OpenChat group protocol v2: commits and epochs of one room, under a malicious server.
 * See models/README.md for what is modelled, what is abstracted away and how to run it.
 *
 * Devices: alice (0, the room's creator and only admin), bob (1), carol (2), all honest, and
 * mallory (3), a user the server mints: the server signs whatever mallory may sign. The server
 * orders commits as it likes: any commit may be delivered to any member at any time, again and
 * again (replay), in any order (reorder), never (drop), and different members may be given
 * different commits for one epoch (fork).
 *
 * Cryptography is symbolic: a commit's secrets are tokens, and a device knows a token only when it
 * holds a key that opens it (see Knows below). Each device holds one long-term package key
 * (token = its number) and one leaf key per commit it made (token = ND + commit number).
 *
 * Mutation switches (each must make spin report a violation; see the test):
 *   BUG_WRAP_TO_REMOVED  a removal (kick or revoked member) still wraps the commit secret to the
 *                        removed device's leaf                                  -> breaks (a)
 *   BUG_UNBOUND_EPOCH    the epoch secret is not bound to the commit's hash       -> breaks (b)
 *   BUG_NO_ADMIN_CHECK   the role rules are not applied (a Manage by a non-admin,
 *                        a join by a user a private room does not name)          -> breaks (c)
 *   BUG_NO_PARENT_CHECK  a member does not check that a commit follows its last one: a device
 *                        that followed another branch then joins by the external key, which
 *                        carries no init secret, and talks with the members  -> breaks (b)
 */

#define ND 4        /* devices */
#define NH 3        /* honest devices: 0..NH-1 */
#define ALICE 0
#define BOB 1
#define CAROL 2
#define MAL 3
#define ALL 15      /* every device, as a bit set */
#define NONE 255

#ifndef MAXC
#define MAXC 5      /* commits made in one run, the create included */
#endif
#ifndef MAXM
#define MAXM 3      /* of which by mallory */
#endif

/* commit reasons (CommitReason) */
#define CREATE 1
#define JOIN 3
#define REMOVE 4
#define UPDATE 7
#define MANAGE 8

#define BIT(d) (1 << (d))
#define LEAF(c) (ND + (c))
#define HAS(set, d) (((set) >> (d)) & 1)

typedef Commit {
    byte parent;      /* the commit it follows (its hash is ParentHash); NONE for the create */
    byte epoch;
    byte by;          /* committer */
    byte kind;
    byte members;     /* the new epoch's devices */
    byte wrap[ND];    /* the key token each member's secret is wrapped to, NONE: no wrap */
    byte cs;          /* the commit secret's identity (a fresh one per commit, unless reused) */
    byte key;         /* the epoch secret it yields, as a value: equal values decrypt each other */
    byte kparent;     /* the epoch secret value of its parent */
    bit priv;         /* the policy it carries: private flag, */
    byte named;       /* users Member or Admin, */
    byte removed;     /* users marked Removed, */
    byte admins       /* admins */
};

typedef View {        /* what one honest device has applied */
    byte ep;
    byte last;        /* the last commit applied (NONE before the create) */
    byte roster;
    byte leaf[ND];    /* each member's current leaf public key, as this device knows it */
    bit priv;
    byte named;
    byte removed;
    byte admins;
    byte own;         /* its own current leaf private key; NONE when not a member */
    byte ekey;        /* the epoch secret value it holds; NONE when it holds none */
    byte hist;        /* ghost: every commit it applied */
    byte added        /* ghost: users an admin's device added (the creator included) */
};

Commit cm[MAXC];
byte nc;              /* commits made */
byte nm;              /* of which by mallory */
View v[NH];
bit revoked;          /* bob's certificate is revoked: bob acts no more, members may remove him */
bit updated[NH];      /* each honest device makes at most one update in a run */
bit kicked;           /* alice kicks carol at most once */

/* scratch used within one indivisible step only: hidden keeps it out of the state vector */
hidden byte d, t, by, out, kj, ok, opens, chain, changed;
/* the choices of a step: stored while the step chooses, zeroed when it ends (Done) */
byte h, c, j, p, u;

#define Done h = 0; c = 0; j = 0; p = 0; u = 0

/* ---- making commits -------------------------------------------------------------------- */

/* The epoch secret value of a new commit c. Bound to the commit (the design): unique per commit.
   Unbound: two commits on one parent with one commit secret give one value. */
inline SetKey(c) {
    cm[c].kparent = (cm[c].parent == NONE -> NONE : cm[cm[c].parent].key);
    cm[c].key = c;
#ifdef BUG_UNBOUND_EPOCH
    d = 0;
    do
    :: d < c ->
        if
        :: cm[d].cs == cm[c].cs && cm[d].kparent == cm[c].kparent -> cm[c].key = cm[d].key; d = c
        :: else -> d++
        fi
    :: else -> break
    od;
#endif
}

/* A commit by honest device h on its own view, to members m (h included), with its policy. */
inline Honest(h, k, m) {
    cm[nc].parent = v[h].last; cm[nc].epoch = v[h].ep + 1; cm[nc].by = h; cm[nc].kind = k;
    cm[nc].members = m; cm[nc].cs = nc;
    cm[nc].priv = v[h].priv; cm[nc].named = v[h].named; cm[nc].removed = v[h].removed; cm[nc].admins = v[h].admins;
    d = 0;
    do
    :: d < ND ->
        /* carried-over members get the commit secret wrapped to their current leaf */
        cm[nc].wrap[d] = (HAS(m, d) && HAS(v[h].roster, d) && d != h -> v[h].leaf[d] : NONE);
        d++
    :: else -> break
    od
}

/* The leaf public key of device x on the chain that ends in commit p: that of its latest commit
   there, else its package key. */
inline LeafAt(p, x, out) {
    out = x; j = p;
    do
    :: j != NONE && cm[j].by == x -> out = LEAF(j); break
    :: j != NONE && cm[j].by != x -> j = cm[j].parent
    :: else -> break
    od
}

#define SamePolicy(h, c) ((cm[c].priv == v[h].priv) && (cm[c].named == v[h].named) && (cm[c].removed == v[h].removed) && (cm[c].admins == v[h].admins))

/* ---- applying commits (CommitPolicy, RolePolicy, CommitProcessor, GroupState.Merge) ------- */

inline Apply(h, c) {
    ok = (cm[c].epoch == v[h].ep + 1);
#ifndef BUG_NO_PARENT_CHECK
    ok = ok && (cm[c].parent == v[h].last);
#endif
    by = cm[c].by;
    ok = ok && HAS(cm[c].members, by);
    if
    :: ok && cm[c].kind == CREATE -> skip
    :: ok && cm[c].kind == JOIN ->
        ok = !HAS(v[h].roster, by) && (cm[c].members == (v[h].roster | BIT(by))) && SamePolicy(h, c);
#ifndef BUG_NO_ADMIN_CHECK
        ok = ok && !HAS(v[h].removed, by) && (!v[h].priv || HAS(v[h].named, by))
#endif
    :: ok && cm[c].kind == UPDATE ->
        ok = HAS(v[h].roster, by) && (cm[c].members == v[h].roster) && SamePolicy(h, c)
    :: ok && cm[c].kind == REMOVE ->
        /* only a revoked device (bob) may be removed without an admin */
        ok = HAS(v[h].roster, by) && revoked && HAS(v[h].roster, BOB) && (cm[c].members == (v[h].roster & ~BIT(BOB))) && SamePolicy(h, c)
    :: ok && cm[c].kind == MANAGE ->
        ok = HAS(v[h].roster, by) && (cm[c].members == (v[h].roster & ~cm[c].removed)) && (cm[c].priv == v[h].priv);
#ifndef BUG_NO_ADMIN_CHECK
        ok = ok && HAS(v[h].admins, by)
#endif
    :: else -> ok = 0
    fi;
    /* the wrap for this device must be to the leaf it holds (the key reference check) */
    if
    :: ok && HAS(cm[c].members, h) && by != h -> ok = HAS(v[h].roster, h) && (cm[c].wrap[h] == v[h].own) && (v[h].own != NONE)
    :: else -> skip
    fi;
    if
    :: ok ->
        if
        :: !HAS(cm[c].members, h) -> v[h].ekey = NONE; v[h].own = NONE
        :: HAS(cm[c].members, h) && by == h -> v[h].ekey = cm[c].key; v[h].own = LEAF(c)
        :: HAS(cm[c].members, h) && by != h ->
            /* the commit secret opens; the joiner secret also needs the epoch before's init
               secret (or, for a join, its external private key): both come from its epoch secret */
            v[h].ekey = (v[h].ekey == cm[c].kparent && v[h].ekey != NONE -> cm[c].key : 64 + c * NH + h)
        fi;
        v[h].ep = cm[c].epoch; v[h].last = c; v[h].roster = cm[c].members;
        v[h].priv = cm[c].priv; v[h].named = cm[c].named; v[h].removed = cm[c].removed; v[h].admins = cm[c].admins;
        v[h].leaf[by] = LEAF(c);
        v[h].hist = v[h].hist | BIT(c);
        changed = 1;
        if
        :: cm[c].kind == CREATE -> v[h].added = BIT(by)
        :: cm[c].kind == MANAGE && by == ALICE -> v[h].added = (v[h].added | cm[c].named) & ~cm[c].removed
        :: else -> skip
        fi
    :: else -> skip   /* refused: nothing changes */
    fi
}

/* ---- the properties, checked after every step ------------------------------------------- */

/* (a) No device outside h's current member list, pooling everything it ever held with the
   server's whole log, can derive the epoch secret h holds (so no removed member holds it). */
inline CheckRemovedLearnNothing(h) {
    if
    :: v[h].ekey != NONE ->
        out = ALL & ~v[h].roster;   /* the outsiders */
        kj = 0;                     /* commits whose joiner (hence epoch) secret they derive */
        j = 0;
        do
        :: j < nc ->
            opens = HAS(out, cm[j].by);
            d = 0;
            do
            :: d < ND ->
                t = cm[j].wrap[d];
                opens = opens || (t != NONE && (t < ND -> HAS(out, t) : HAS(out, cm[t - ND].by)));
                d++
            :: else -> break
            od;
            chain = (cm[j].kind == CREATE || HAS(kj, cm[j].parent));
            if
            :: HAS(out, cm[j].by) || (opens && chain) ->
                kj = kj | BIT(j);
                assert(cm[j].key != v[h].ekey)
            :: else -> skip
            fi;
            j++
        :: else -> break
        od
    :: else -> skip
    fi
}

/* (b) Two honest devices that applied different commits never hold one epoch secret. */
inline CheckForksApart(h1, h2) {
    assert(!(v[h1].ekey != NONE && v[h1].ekey == v[h2].ekey && v[h1].hist != v[h2].hist))
}

/* (c) In a private room, every member was added by an admin's signed add. */
inline CheckPrivateRoomAdds(h) {
    assert(!v[h].priv || (v[h].roster & ~v[h].added) == 0)
}

inline CheckAll() {
    h = 0;
    do
    :: h < NH -> CheckRemovedLearnNothing(h); CheckPrivateRoomAdds(h); h++
    :: else -> break
    od;
    CheckForksApart(0, 1); CheckForksApart(0, 2); CheckForksApart(1, 2)
}

/* ---- the run ------------------------------------------------------------------------------ */

active proctype Room() {

    d_step {
        h = 0;
        do
        :: h < NH ->
            v[h].last = NONE; v[h].own = NONE; v[h].ekey = NONE;
            /* every device's leaf is its package key until it commits */
            d = 0;
            do
            :: d < ND -> v[h].leaf[d] = d; d++
            :: else -> break
            od;
            h++
        :: else -> break
        od;
        /* alice founds the room: its first admin */
        cm[0].parent = NONE; cm[0].epoch = 1; cm[0].by = ALICE; cm[0].kind = CREATE; cm[0].members = BIT(ALICE);
        cm[0].cs = 0; cm[0].named = BIT(ALICE); cm[0].admins = BIT(ALICE);
        d = 0;
        do
        :: d < ND -> cm[0].wrap[d] = NONE; d++
        :: else -> break
        od;
        SetKey(0);
        nc = 1
    };
#if defined(PRIVATE_ROOM)
    cm[0].priv = 1;
#elif defined(OPEN_ROOM)
    cm[0].priv = 0;
#else
    if
    :: cm[0].priv = 0
    :: cm[0].priv = 1
    fi;
#endif

    do
    /* the server delivers any commit to any honest device (replays and stale ones are refused) */
    :: atomic {
           select (c : 0 .. nc - 1);
           select (h : 0 .. NH - 1);
           if
           :: h != BOB || !revoked -> d_step { changed = 0; Apply(h, c); if :: changed -> CheckAll() :: else -> skip fi }
           :: else -> skip
           fi;
       Done
       }

    /* honest devices commit on their own view */
    :: nc < MAXC -> atomic {
       select (h : 0 .. NH - 1);
       if
       :: (h == BOB && revoked) || v[h].ep == 0 -> skip
       :: else ->
           if
           :: !HAS(v[h].roster, h) && !HAS(v[h].removed, h) && (!v[h].priv || HAS(v[h].named, h)) ->
               d_step { Honest(h, JOIN, v[h].roster | BIT(h)); SetKey(nc); nc++ }
           :: HAS(v[h].roster, h) && !updated[h] ->
               d_step { updated[h] = 1; Honest(h, UPDATE, v[h].roster); SetKey(nc); nc++ }
           /* an admin's add to a private room (the user then joins by its own join) */
           :: HAS(v[h].roster, h) && HAS(v[h].admins, h) && v[h].priv && !HAS(v[h].named, BOB) ->
               d_step { Honest(h, MANAGE, v[h].roster); cm[nc].named = cm[nc].named | BIT(BOB); SetKey(nc); nc++ }
           :: HAS(v[h].roster, h) && HAS(v[h].admins, h) && v[h].priv && !HAS(v[h].named, CAROL) && !kicked ->
               d_step { Honest(h, MANAGE, v[h].roster); cm[nc].named = cm[nc].named | BIT(CAROL); SetKey(nc); nc++ }
           /* a kick: carol's user marked Removed, her device out of the encryption in the same commit */
           :: HAS(v[h].roster, h) && HAS(v[h].admins, h) && HAS(v[h].roster, CAROL) && !kicked ->
               d_step {
                   kicked = 1;
                   Honest(h, MANAGE, v[h].roster & ~BIT(CAROL));
                   cm[nc].named = cm[nc].named & ~BIT(CAROL); cm[nc].removed = cm[nc].removed | BIT(CAROL);
#ifdef BUG_WRAP_TO_REMOVED
                   cm[nc].wrap[CAROL] = v[h].leaf[CAROL];
#endif
                   SetKey(nc); nc++
               }
           /* the removal of a revoked member, by any member */
           :: HAS(v[h].roster, h) && revoked && HAS(v[h].roster, BOB) ->
               d_step {
                   Honest(h, REMOVE, v[h].roster & ~BIT(BOB));
#ifdef BUG_WRAP_TO_REMOVED
                   cm[nc].wrap[BOB] = v[h].leaf[BOB];
#endif
                   SetKey(nc); nc++
               }
           :: else -> skip
           fi
       fi;
       Done
       }

    /* the CA revokes bob's certificate (bob's device is lost: it acts no more) */
#ifndef NO_REVOKE
    :: !revoked -> revoked = 1
#endif

    /* mallory, the server's own user, commits on any commit it likes */
    :: nc < MAXC && nm < MAXM -> atomic {
       select (p : 0 .. nc - 1);
       if
       /* a join of the epoch p made, with p's members and policy */
       :: !HAS(cm[p].members, MAL) ->
           d_step {
               cm[nc].parent = p; cm[nc].epoch = cm[p].epoch + 1; cm[nc].by = MAL; cm[nc].kind = JOIN;
               cm[nc].members = cm[p].members | BIT(MAL); cm[nc].cs = nc;
               cm[nc].priv = cm[p].priv; cm[nc].named = cm[p].named; cm[nc].removed = cm[p].removed; cm[nc].admins = cm[p].admins;
               d = 0;
               do
               :: d < ND ->
                   if
                   :: HAS(cm[p].members, d) -> LeafAt(p, d, u); cm[nc].wrap[d] = u
                   :: else -> cm[nc].wrap[d] = NONE
                   fi;
                   d++
               :: else -> break
               od;
               SetKey(nc); nc++; nm++
           }
       /* an update of the epoch p made (as a member there); to fork, it may reuse the commit
          secret of another update it made on p */
#ifndef NO_MAL_UPDATE
       :: HAS(cm[p].members, MAL) ->
           u = NONE;
           if
           :: skip
           :: select (j : 0 .. nc - 1);
              if
              :: cm[j].by == MAL && cm[j].parent == p && cm[j].kind == UPDATE -> u = cm[j].cs
              :: else -> skip
              fi
           fi;
           d_step {
               cm[nc].parent = p; cm[nc].epoch = cm[p].epoch + 1; cm[nc].by = MAL; cm[nc].kind = UPDATE;
               cm[nc].members = cm[p].members; cm[nc].cs = (u == NONE -> nc : u);
               cm[nc].priv = cm[p].priv; cm[nc].named = cm[p].named; cm[nc].removed = cm[p].removed; cm[nc].admins = cm[p].admins;
               d = 0;
               do
               :: d < ND ->
                   if
                   :: HAS(cm[p].members, d) && d != MAL -> LeafAt(p, d, t); cm[nc].wrap[d] = t
                   :: else -> cm[nc].wrap[d] = NONE
                   fi;
                   d++
               :: else -> break
               od;
               SetKey(nc); nc++; nm++
           }
#endif
       :: else -> skip
       fi;
       Done
       }
    od
}
