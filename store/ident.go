package store

import (
	"fmt"
	"regexp"
)

// identPattern is what the store accepts as a table or column name it
// puts into SQL itself: letters, digits and '_', not starting with a digit.
var identPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// quoteIdent checks name against identPattern and returns it quoted.
func quoteIdent(name string) (string, error) {
	if !identPattern.MatchString(name) {
		return "", fmt.Errorf("%q is not a table or column name (letters, digits and '_', not starting with a digit)", name)
	}
	return `"` + name + `"`, nil
}
