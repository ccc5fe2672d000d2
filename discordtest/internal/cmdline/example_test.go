package cmdline_test

import (
	"fmt"

	"github.com/hearthbot/hearth/discordtest/internal/cmdline"
)

func ExampleParse() {
	l, err := cmdline.Parse(`/admin warn user:<@123> reason:"spam \"links\"" url:https://x.y/z`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.Path)
	for _, o := range l.Options {
		fmt.Printf("%s = %s\n", o.Name, o.Value)
	}
	fmt.Println(l)

	_, err = cmdline.Parse(`/warn reason:"spam`)
	fmt.Println(err)
	// Output:
	// [admin warn]
	// user = <@123>
	// reason = spam "links"
	// url = https://x.y/z
	// /admin warn user:<@123> reason:"spam \"links\"" url:https://x.y/z
	// cmdline: option "reason" at byte 13: unterminated quoted value
}
