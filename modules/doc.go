// Package modules holds Hearth's feature modules, one sub-package each
// (modules/core, ...). A module imports bot/ and store/, never another
// module: TestModulesDoNotImportEachOther enforces it.
package modules
