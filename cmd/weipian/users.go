package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/weipian/weipian/app"
)

// readPassword reads a password from a file ("-" = standard input, first
// line). Passwords are never taken as command-line arguments, which other
// users of the machine can see.
func (a *cli) readPassword(file string, in io.Reader) (string, error) {
	if file == "" {
		return "", usageError{errors.New("give the password with --password-file FILE (or - for standard input)")}
	}
	r := in
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return "", err
		}
		defer f.Close()
		r = f
	}
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func parseRoles(s string) ([]app.Role, error) {
	var out []app.Role
	for _, r := range splitBands(s) {
		role, err := app.ParseRole(r)
		if err != nil {
			return nil, usageError{err}
		}
		out = append(out, role)
	}
	return out, nil
}

func (a *cli) usersCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "User accounts of the HTTP API and the web console: add, list, passwd, disable, enable, grant"}
	var spec app.UserSpec
	var roles, pwFile string
	add := &cobra.Command{
		Use:   "add NAME --role 管理员|遥感|执法审核|巡查组成员|只读 [--team T] [--display 张三] --password-file FILE|-",
		Short: "Add a user",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := parseRoles(roles)
			if err != nil {
				return err
			}
			pw, err := a.readPassword(pwFile, cmd.InOrStdin())
			if err != nil {
				return err
			}
			spec.Name, spec.Roles, spec.Password = args[0], rs, pw
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			u, err := s.AddUser(cmd.Context(), operator(""), spec)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "已添加用户 %s（%s）\n", u.Name, roleLabels(u.Roles))
			return nil
		},
	}
	add.Flags().StringVar(&roles, "role", "", "roles, comma-separated: admin (管理员), remote_sensing (遥感), reviewer (执法审核), patrol (巡查组成员), viewer (只读)")
	add.Flags().StringVar(&spec.Team, "team", "", "patrol team (巡查组) of a patrol member")
	add.Flags().StringVar(&spec.Display, "display", "", "full name (姓名)")
	add.Flags().StringVar(&pwFile, "password-file", "", "file holding the password on its first line (- = standard input)")

	list := &cobra.Command{
		Use:   "list",
		Short: "List the users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			us, err := s.Users(cmd.Context(), operator(""))
			if err != nil {
				return err
			}
			rows := [][]string{{"用户名", "姓名", "角色", "巡查组", "状态", "更新时间"}}
			for _, u := range us {
				st := "正常"
				if u.Disabled {
					st = "已停用"
				}
				rows = append(rows, []string{u.Name, u.Display, roleLabels(u.Roles), u.Team, st, u.UpdatedAt.Local().Format(time.DateTime)})
			}
			writeTable(a.stdout, rows)
			return nil
		},
	}
	var passwdFile string
	passwd := &cobra.Command{
		Use:   "passwd NAME --password-file FILE|-",
		Short: "Set a user's password (ends their sessions)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := a.readPassword(passwdFile, cmd.InOrStdin())
			if err != nil {
				return err
			}
			return a.changeUser(cmd, args[0], app.UserChange{Password: &pw}, "密码已更新")
		},
	}
	passwd.Flags().StringVar(&passwdFile, "password-file", "", "file holding the password on its first line (- = standard input)")
	disable := &cobra.Command{
		Use: "disable NAME", Short: "Disable a user (ends their sessions)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t := true
			return a.changeUser(cmd, args[0], app.UserChange{Disabled: &t}, "已停用")
		},
	}
	enable := &cobra.Command{
		Use: "enable NAME", Short: "Enable a disabled user", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := false
			return a.changeUser(cmd, args[0], app.UserChange{Disabled: &f}, "已启用")
		},
	}
	var grantRoles, grantTeam string
	grant := &cobra.Command{
		Use:   "grant NAME --role ROLES [--team T]",
		Short: "Set a user's roles (and team); ends their sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rs, err := parseRoles(grantRoles)
			if err != nil {
				return err
			}
			if len(rs) == 0 {
				return usageError{errors.New("grant needs --role")}
			}
			c := app.UserChange{Roles: rs}
			if cmd.Flags().Changed("team") {
				c.Team = &grantTeam
			}
			return a.changeUser(cmd, args[0], c, "角色已更新")
		},
	}
	grant.Flags().StringVar(&grantRoles, "role", "", "roles, comma-separated")
	grant.Flags().StringVar(&grantTeam, "team", "", "patrol team (巡查组)")
	cmd.AddCommand(add, list, passwd, disable, enable, grant)
	return cmd
}

func (a *cli) changeUser(cmd *cobra.Command, name string, c app.UserChange, done string) error {
	s, err := a.open(cmd.Context())
	if err != nil {
		return err
	}
	defer s.Close()
	u, err := s.ChangeUser(cmd.Context(), operator(""), name, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(a.stdout, "%s：%s（%s）\n", u.Name, done, roleLabels(u.Roles))
	return nil
}

func roleLabels(rs []app.Role) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Label())
	}
	return strings.Join(s, "、")
}

func (a *cli) auditCmd() *cobra.Command {
	var q app.AuditQuery
	var since string
	cmd := &cobra.Command{
		Use:   "audit [--actor NAME] [--action ACTION] [--since 2026-05-01] [--limit N]",
		Short: "Show the append-only audit log: who did what, when and from where",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if since != "" {
				t, err := time.ParseInLocation(time.DateOnly, since, time.Local)
				if err != nil {
					return usageError{fmt.Errorf("--since %q: want YYYY-MM-DD", since)}
				}
				q.Since = t
			}
			s, err := a.open(cmd.Context())
			if err != nil {
				return err
			}
			defer s.Close()
			l, err := s.Audit(cmd.Context(), operator(""), q)
			if err != nil {
				return err
			}
			rows := [][]string{{"时间", "用户", "来源", "地址", "操作", "对象", "结果", "详情"}}
			for _, r := range l.Items {
				rows = append(rows, []string{r.At.Local().Format(time.DateTime), r.Actor, r.Source, r.Addr, r.Action, r.Target, r.Outcome, r.Detail})
			}
			writeTable(a.stdout, rows)
			return nil
		},
	}
	cmd.Flags().StringVar(&q.Actor, "actor", "", "only this user")
	cmd.Flags().StringVar(&q.Action, "action", "", "only this action, e.g. task.transition")
	cmd.Flags().StringVar(&since, "since", "", "only from this day on")
	cmd.Flags().IntVar(&q.Limit, "limit", 100, "how many records")
	return cmd
}
