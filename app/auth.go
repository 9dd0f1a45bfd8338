package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/weipian/weipian/pipeline"
	"github.com/weipian/weipian/store"
)

// Role is what a user may do. Codes are English; Label gives the practice's
// name.
type Role string

// Roles.
const (
	RoleAdmin         Role = "admin"          // 管理员: everything, users and the audit log
	RoleRemoteSensing Role = "remote_sensing" // 遥感: imagery, batches, zone layers, judging
	RoleReviewer      Role = "reviewer"       // 执法审核: every team's tasks, verdicts, ledgers, reconciliation, reports
	RolePatrol        Role = "patrol"         // 巡查组成员: the tasks of their own team, evidence, verdicts
	RoleViewer        Role = "viewer"         // 只读: reads everything, changes nothing
)

// Roles lists the roles in a fixed order.
var Roles = []Role{RoleAdmin, RoleRemoteSensing, RoleReviewer, RolePatrol, RoleViewer}

var roleLabels = map[Role]string{RoleAdmin: "管理员", RoleRemoteSensing: "遥感", RoleReviewer: "执法审核", RolePatrol: "巡查组成员", RoleViewer: "只读"}

// Label returns the zh-CN name of the role.
func (r Role) Label() string { return roleLabels[r] }

// ParseRole accepts a role's code or its zh-CN name.
func ParseRole(s string) (Role, error) {
	s = strings.TrimSpace(s)
	for _, r := range Roles {
		if s == string(r) || s == r.Label() {
			return r, nil
		}
	}
	var names []string
	for _, r := range Roles {
		names = append(names, string(r)+" ("+r.Label()+")")
	}
	return "", invalid("角色 %q 未知：应为 %s", s, strings.Join(names, ", "))
}

// Action is an operation the access rules know.
type Action string

// Actions.
const (
	ActBatchRead      Action = "batch.read"
	ActBatchSubmit    Action = "batch.submit"
	ActBatchCancel    Action = "batch.cancel"
	ActImageryRead    Action = "imagery.read"
	ActImageryAdd     Action = "imagery.register"
	ActZoneRead       Action = "zone.read"
	ActZoneImport     Action = "zone.import"
	ActTubanRead      Action = "tuban.read"
	ActTubanJudge     Action = "tuban.judge"
	ActTaskRead       Action = "task.read"
	ActTaskTransition Action = "task.transition"
	ActTaskReview     Action = "task.review" // close or clear a task without evidence
	ActEvidenceAdd    Action = "evidence.add"
	ActLedgerImport   Action = "ledger.import"
	ActLedgerRead     Action = "ledger.read"
	ActReconcile      Action = "reconcile"
	ActReportRead     Action = "report.read"
	ActUserAdmin      Action = "user.admin"
	ActAuditRead      Action = "audit.read"
	ActXiafaImport    Action = "xiafa.import"
	ActXiafaExport    Action = "xiafa.export"
)

// grants says which roles may do what. Patrol members are further limited
// to their team's tasks and 图斑 (see Principal.TeamScope).
var grants = map[Action][]Role{
	ActBatchRead:      {RoleAdmin, RoleRemoteSensing, RoleReviewer, RoleViewer},
	ActBatchSubmit:    {RoleAdmin, RoleRemoteSensing},
	ActBatchCancel:    {RoleAdmin, RoleRemoteSensing},
	ActImageryRead:    {RoleAdmin, RoleRemoteSensing, RoleReviewer, RoleViewer},
	ActImageryAdd:     {RoleAdmin, RoleRemoteSensing},
	ActZoneRead:       {RoleAdmin, RoleRemoteSensing, RoleReviewer, RolePatrol, RoleViewer},
	ActZoneImport:     {RoleAdmin, RoleRemoteSensing},
	ActTubanRead:      {RoleAdmin, RoleRemoteSensing, RoleReviewer, RolePatrol, RoleViewer},
	ActTubanJudge:     {RoleAdmin, RoleRemoteSensing},
	ActTaskRead:       {RoleAdmin, RoleRemoteSensing, RoleReviewer, RolePatrol, RoleViewer},
	ActTaskTransition: {RoleAdmin, RoleReviewer, RolePatrol},
	ActTaskReview:     {RoleAdmin, RoleReviewer},
	ActEvidenceAdd:    {RoleAdmin, RoleReviewer, RolePatrol},
	ActLedgerImport:   {RoleAdmin, RoleReviewer},
	ActLedgerRead:     {RoleAdmin, RoleReviewer, RoleViewer},
	ActReconcile:      {RoleAdmin, RoleReviewer},
	ActReportRead:     {RoleAdmin, RoleRemoteSensing, RoleReviewer, RoleViewer},
	ActUserAdmin:      {RoleAdmin},
	ActAuditRead:      {RoleAdmin},
	ActXiafaImport:    {RoleAdmin, RoleRemoteSensing, RoleReviewer},
	ActXiafaExport:    {RoleAdmin, RoleReviewer},
}

// Principal is who calls a use case: a logged-in user of the HTTP API, or
// the operator of the CLI (who holds the database and is an admin).
type Principal struct {
	User    string
	Display string
	Roles   []Role
	Team    string
	// Source is "http" or "cli"; Addr the client address (HTTP).
	Source, Addr string
}

// Operator returns the CLI's principal: an administrator named name (the
// --by value, else the OS user).
func Operator(name string) Principal {
	if name == "" {
		name = "operator"
	}
	return Principal{User: name, Display: name, Roles: []Role{RoleAdmin}, Source: "cli"}
}

// Has reports whether the principal has role r.
func (p Principal) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// Can reports whether the principal may do a.
func (p Principal) Can(a Action) bool {
	for _, r := range grants[a] {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// TeamScope returns the team a principal is limited to: a patrol member
// without a wider role sees only their own team's tasks and 图斑.
func (p Principal) TeamScope() (team string, scoped bool) {
	if p.Has(RolePatrol) && !p.Has(RoleAdmin) && !p.Has(RoleReviewer) && !p.Has(RoleRemoteSensing) && !p.Has(RoleViewer) {
		return p.Team, true
	}
	return "", false
}

// SeesContacts reports whether the principal may see patrol contacts
// (责任人 phone numbers) of teams: admins, reviewers and patrol members
// (their own team only, by scope).
func (p Principal) SeesContacts() bool {
	return p.Has(RoleAdmin) || p.Has(RoleReviewer) || p.Has(RolePatrol)
}

// Actor is the name recorded in histories: the display name and the login.
func (p Principal) Actor() string {
	if p.Display != "" && p.Display != p.User {
		return p.Display + "（" + p.User + "）"
	}
	return p.User
}

// authorize refuses a principal that may not do act.
func (p Principal) authorize(act Action) error {
	if p.User == "" {
		return ErrUnauthenticated
	}
	if !p.Can(act) {
		return ErrForbidden
	}
	return nil
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 8

// bcryptCost is the cost of password hashes.
const bcryptCost = bcrypt.DefaultCost

// dummyHash is compared against for unknown users, so that a login takes as
// long whether or not the user exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("weipian-dummy-password"), bcryptCost)

func checkPassword(pw string) error {
	if utf8.RuneCountInString(pw) < MinPasswordLen {
		return invalid("密码至少 %d 个字符（password too short）", MinPasswordLen)
	}
	if len(pw) > 72 {
		return invalid("密码最多 72 字节（password too long for bcrypt）")
	}
	return nil
}

// UserSpec describes a user to add.
type UserSpec struct {
	Name, Display, Password, Team string
	Roles                         []Role
}

// UserInfo is a user as shown to admins (no password hash).
type UserInfo struct {
	Name      string    `json:"name"`
	Display   string    `json:"display"`
	Roles     []Role    `json:"roles"`
	Team      string    `json:"team"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func userInfo(u store.User) UserInfo {
	roles := make([]Role, 0, len(u.Roles))
	for _, r := range u.Roles {
		roles = append(roles, Role(r))
	}
	return UserInfo{Name: u.Name, Display: u.Display, Roles: roles, Team: u.Team, Disabled: u.Disabled, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func validUserName(n string) error {
	if n == "" || len(n) > 64 {
		return invalid("用户名应为 1–64 个字符（user name）")
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r > 0x2E80) {
			return invalid("用户名 %q 只能含字母、数字、汉字和 . _ -（user name）", n)
		}
	}
	return nil
}

func roleCodes(rs []Role) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

func checkRoles(rs []Role, team string) error {
	if len(rs) == 0 {
		return invalid("用户至少需要一个角色（role）")
	}
	for _, r := range rs {
		if r.Label() == "" {
			return invalid("角色 %q 未知", r)
		}
	}
	if slices.Contains(rs, RolePatrol) && strings.TrimSpace(team) == "" {
		return invalid("巡查组成员需要指定巡查组（--team）")
	}
	return nil
}

// AddUser adds a user (admins only).
func (a *App) AddUser(ctx context.Context, p Principal, spec UserSpec) (UserInfo, error) {
	var out UserInfo
	err := a.audited(ctx, p, "user.add", spec.Name, func() (string, error) {
		if err := p.authorize(ActUserAdmin); err != nil {
			return "", err
		}
		if err := validUserName(spec.Name); err != nil {
			return "", err
		}
		if err := checkRoles(spec.Roles, spec.Team); err != nil {
			return "", err
		}
		if err := checkPassword(spec.Password); err != nil {
			return "", err
		}
		h, err := bcrypt.GenerateFromPassword([]byte(spec.Password), a.passwordCost())
		if err != nil {
			return "", err
		}
		u := store.User{Name: spec.Name, Display: spec.Display, PasswordHash: string(h), Roles: roleCodes(spec.Roles), Team: strings.TrimSpace(spec.Team)}
		if err := a.store.CreateUser(ctx, u, a.now()); err != nil {
			if errors.Is(err, store.ErrExists) {
				return "", errorf(KindConflict, "用户 %s 已存在（exists）", spec.Name)
			}
			return "", err
		}
		u.CreatedAt, u.UpdatedAt = a.now().UTC(), a.now().UTC()
		out = userInfo(u)
		return fmt.Sprintf("roles=%s team=%s", strings.Join(u.Roles, ","), u.Team), nil
	})
	return out, err
}

// Users lists the users (admins only).
func (a *App) Users(ctx context.Context, p Principal) ([]UserInfo, error) {
	if err := p.authorize(ActUserAdmin); err != nil {
		return nil, err
	}
	us, err := a.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]UserInfo, 0, len(us))
	for _, u := range us {
		out = append(out, userInfo(u))
	}
	return out, nil
}

// UserChange is a change to a user; nil fields are left as they are.
type UserChange struct {
	Password *string
	Disabled *bool
	Roles    []Role // nil: unchanged
	Team     *string
	Display  *string
}

// ChangeUser changes a user (admins, or a user changing their own
// password). Disabling, a new password or new roles end the user's sessions.
func (a *App) ChangeUser(ctx context.Context, p Principal, name string, c UserChange) (UserInfo, error) {
	var out UserInfo
	action := "user.change"
	switch {
	case c.Password != nil && c.Disabled == nil && c.Roles == nil && c.Team == nil && c.Display == nil:
		action = "user.passwd"
	case c.Disabled != nil:
		action = "user.disable"
		if !*c.Disabled {
			action = "user.enable"
		}
	case c.Roles != nil:
		action = "user.grant"
	}
	err := a.audited(ctx, p, action, name, func() (string, error) {
		self := p.User == name && p.Source != "cli" && action == "user.passwd"
		if !self {
			if err := p.authorize(ActUserAdmin); err != nil {
				return "", err
			}
		}
		if c.Password != nil {
			if err := checkPassword(*c.Password); err != nil {
				return "", err
			}
		}
		if c.Disabled != nil && *c.Disabled && name == p.User {
			return "", errorf(KindConflict, "不能停用自己的账号（cannot disable yourself）")
		}
		var hash string
		if c.Password != nil {
			h, err := bcrypt.GenerateFromPassword([]byte(*c.Password), a.passwordCost())
			if err != nil {
				return "", err
			}
			hash = string(h)
		}
		u, err := a.store.UpdateUser(ctx, name, func(u *store.User) error {
			if hash != "" {
				u.PasswordHash = hash
			}
			if c.Disabled != nil {
				u.Disabled = *c.Disabled
			}
			if c.Roles != nil {
				u.Roles = roleCodes(c.Roles)
			}
			if c.Team != nil {
				u.Team = strings.TrimSpace(*c.Team)
			}
			if c.Display != nil {
				u.Display = *c.Display
			}
			rs := make([]Role, len(u.Roles))
			for i, r := range u.Roles {
				rs[i] = Role(r)
			}
			return checkRoles(rs, u.Team)
		}, a.now())
		if err != nil {
			return "", wrapNotFound(err, "用户", name)
		}
		out = userInfo(u)
		return fmt.Sprintf("roles=%s team=%s disabled=%t", strings.Join(u.Roles, ","), u.Team, u.Disabled), nil
	})
	return out, err
}

// Session is a login: the bearer token (shown once), its CSRF token for
// cookie-based clients, when it expires and who it is.
type Session struct {
	Token     string    `json:"token"`
	CSRF      string    `json:"csrf_token"`
	ExpiresAt time.Time `json:"expires_at"`
	User      UserInfo  `json:"user"`
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// Login checks a user's password and starts a session. Failed attempts are
// limited per user and per address (KindRateLimited); the answer does not
// say whether the user exists.
func (a *App) Login(ctx context.Context, name, password, addr string) (Session, error) {
	now := a.now()
	if wait := a.limiter.blocked(now, "u:"+name, "a:"+addr); wait > 0 {
		a.audit(ctx, Principal{User: name, Source: "http", Addr: addr}, "login", name, "refused", "rate limited")
		return Session{}, &Error{Kind: KindRateLimited, Message: fmt.Sprintf("登录失败次数过多，请 %d 分钟后再试（too many attempts）", int(wait.Minutes())+1)}
	}
	u, err := a.store.GetUser(ctx, name)
	if err != nil && !errors.Is(err, pipeline.ErrNotFound) {
		return Session{}, err
	}
	hash := dummyHash
	if err == nil {
		hash = []byte(u.PasswordHash)
	}
	bad := bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil
	if err != nil || bad || u.Disabled {
		a.limiter.fail(now, "u:"+name, "a:"+addr)
		a.audit(ctx, Principal{User: name, Source: "http", Addr: addr}, "login", name, "refused", "bad credentials or disabled")
		return Session{}, &Error{Kind: KindUnauthenticated, Message: "用户名或密码错误，或账号已停用（login failed）"}
	}
	a.limiter.success("u:" + name)
	se := Session{Token: randomToken(), CSRF: randomToken(), ExpiresAt: now.Add(a.cfg.SessionTTL).UTC(), User: userInfo(u)}
	if err := a.store.CreateSession(ctx, store.Session{TokenHash: tokenHash(se.Token), User: u.Name, CSRF: se.CSRF, Addr: addr,
		CreatedAt: now, ExpiresAt: se.ExpiresAt}); err != nil {
		return Session{}, err
	}
	a.audit(ctx, Principal{User: name, Source: "http", Addr: addr}, "login", name, "ok", "")
	return se, nil
}

// Authenticate returns the principal of a bearer token and the session's
// CSRF token; an unknown, expired or disabled user's token gives
// ErrUnauthenticated.
func (a *App) Authenticate(ctx context.Context, token, addr string) (Principal, string, error) {
	if token == "" || len(token) > 200 {
		return Principal{}, "", ErrUnauthenticated
	}
	se, err := a.store.GetSession(ctx, tokenHash(token))
	if errors.Is(err, pipeline.ErrNotFound) {
		return Principal{}, "", ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, "", err
	}
	if !a.now().Before(se.ExpiresAt) {
		return Principal{}, "", ErrUnauthenticated
	}
	u, err := a.store.GetUser(ctx, se.User)
	if errors.Is(err, pipeline.ErrNotFound) {
		return Principal{}, "", ErrUnauthenticated
	}
	if err != nil {
		return Principal{}, "", err
	}
	if u.Disabled {
		return Principal{}, "", ErrUnauthenticated
	}
	info := userInfo(u)
	return Principal{User: u.Name, Display: u.Display, Roles: info.Roles, Team: u.Team, Source: "http", Addr: addr}, se.CSRF, nil
}

// CheckCSRF compares a request's CSRF token with the session's in constant
// time.
func CheckCSRF(sessionCSRF, got string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(sessionCSRF), []byte(got)) == 1
}

// Logout ends the session of a token.
func (a *App) Logout(ctx context.Context, p Principal, token string) error {
	err := a.store.DeleteSession(ctx, tokenHash(token))
	a.audit(ctx, p, "logout", p.User, outcomeOf(err), "")
	return err
}

// loginLimiter counts failed logins per key ("u:" user, "a:" address) and
// blocks a key for lockout after maxFails (a user) or maxAddr (an address)
// failures within window. Safe for
// concurrent use; in memory (a restart forgets the counts).
type loginLimiter struct {
	mu       sync.Mutex
	fails    map[string][]time.Time
	maxFails int // per user
	maxAddr  int // per client address (offices share one behind NAT)
	window   time.Duration
	lockout  time.Duration
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{fails: map[string][]time.Time{}, maxFails: 5, maxAddr: 30, window: 15 * time.Minute, lockout: 15 * time.Minute}
}

func (l *loginLimiter) recent(now time.Time, key string) []time.Time {
	fs := l.fails[key]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) > l.window+l.lockout {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.fails, key)
	} else {
		l.fails[key] = fs
	}
	return fs
}

// blocked returns how long the first blocked key stays blocked (0: none).
func (l *loginLimiter) blocked(now time.Time, keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		fs := l.recent(now, k)
		limit := l.maxFails
		if strings.HasPrefix(k, "a:") {
			limit = l.maxAddr
		}
		if len(fs) >= limit {
			last := fs[len(fs)-1]
			if w := last.Add(l.lockout).Sub(now); w > 0 {
				return w
			}
		}
	}
	return 0
}

func (l *loginLimiter) fail(now time.Time, keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) > 100000 { // bound the memory under a flood of names
		clear(l.fails)
	}
	for _, k := range keys {
		l.fails[k] = append(l.recent(now, k), now)
	}
}

func (l *loginLimiter) success(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

// Actions lists every action the access rules know, sorted.
func Actions() []Action {
	out := make([]Action, 0, len(grants))
	for a := range grants {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

func (a *App) passwordCost() int {
	if a.cfg.PasswordCost >= bcrypt.MinCost && a.cfg.PasswordCost <= bcrypt.MaxCost {
		return a.cfg.PasswordCost
	}
	return bcryptCost
}
