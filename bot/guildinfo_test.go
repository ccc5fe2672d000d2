package bot

import (
	"testing"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

func TestGuildInfoPermissionsAndNames(t *testing.T) {
	g := GuildInfo{ID: 1, OwnerID: 9, Roles: []RoleInfo{
		{ID: 1, Name: "@everyone", Permissions: discord.PermissionViewChannel},
		{ID: 2, Name: "Mod", Position: 2, Permissions: discord.PermissionKickMembers},
		{ID: 3, Name: "Admin", Position: 3, Permissions: discord.PermissionAdministrator},
	}}
	cases := []struct {
		user  uint64
		roles []uint64
		want  discord.Permissions
	}{
		{5, nil, discord.PermissionViewChannel},
		{5, []uint64{2}, discord.PermissionViewChannel | discord.PermissionKickMembers},
		{5, []uint64{3}, discord.PermissionsAll},
		{9, nil, discord.PermissionsAll}, // the owner
	}
	for _, c := range cases {
		var roles []snowflake.ID
		for _, r := range c.roles {
			roles = append(roles, snowflake.ID(r))
		}
		if got := g.Permissions(snowflake.ID(c.user), roles); got != c.want {
			t.Errorf("Permissions(%d, %v) = %d; want %d", c.user, c.roles, got, c.want)
		}
	}
	if got := g.TopRoleName([]snowflake.ID{2, 3}); got != "Admin" {
		t.Errorf("TopRoleName = %q; want Admin", got)
	}
	if got := g.TopRoleName(nil); got != "@everyone" {
		t.Errorf("TopRoleName(nil) = %q; want @everyone", got)
	}
	for p, want := range map[discord.Permissions]string{
		0:                            "",
		discord.PermissionBanMembers: "BAN_MEMBERS",
		discord.PermissionKickMembers | discord.PermissionBanMembers | discord.PermissionManageRoles: "KICK_MEMBERS, BAN_MEMBERS and MANAGE_ROLES",
		discord.PermissionSpeak: "permission bits 2097152",
	} {
		if got := PermissionNames(p); got != want {
			t.Errorf("PermissionNames(%d) = %q; want %q", p, got, want)
		}
	}
}
