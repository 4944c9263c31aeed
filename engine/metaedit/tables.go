package metaedit

import (
	"encoding/json"
	"slices"

	"github.com/stratagql/strata/engine/apiargs"
	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/hasuraerr"
	"github.com/stratagql/strata/engine/metadata"
)

func init() {
	register(
		sourceSpec("track_table", func() Edit { return new(trackTable) }),
		Spec{Legacy: "add_existing_table_or_view", Edit: func() Edit { return new(trackTable) }},
		sourceSpec("untrack_table", func() Edit { return new(untrackTable) }),
		sourceSpec("set_table_customization", func() Edit { return new(setTableCustomization) }),
		Spec{Legacy: "set_table_custom_fields", Edit: func() Edit { return new(setTableCustomFields) }},
		sourceSpec("set_table_is_enum", func() Edit { return new(setTableIsEnum) }),
	)
}

// trackTable is pg_track_table (and track_table, add_existing_table_or_view).
type trackTable struct {
	TableRef
	Configuration *metadata.TableConfig `json:"configuration"`
	IsEnum        bool                  `json:"is_enum"`
	Federation    apiargs.Ignored       `json:"apollo_federation_config"`
}

// DecodeArgs accepts the legacy form whose arguments are the table itself
// ({"schema": ..., "name": ...} or {"name": ...}) besides the usual one.
func (a *trackTable) DecodeArgs(raw json.RawMessage, path string) *hasuraerr.Error {
	m, err := apiargs.Object(raw, path)
	if err != nil {
		return err
	}
	has := func(k string) bool { v, ok := m[k]; return ok && !apiargs.IsNull(v) }
	if !has("table") && has("name") {
		table, _ := json.Marshal(map[string]json.RawMessage{"name": m["name"], "schema": m["schema"]})
		if has("schema") {
			delete(m, "schema")
		} else {
			table = m["name"]
		}
		delete(m, "name")
		inline := map[string]json.RawMessage{"table": table}
		for k, v := range m {
			inline[k] = v
		}
		raw, _ = json.Marshal(inline)
	}
	type plain trackTable
	return apiargs.Decode(raw, path, (*plain)(a))
}

// Apply implements Edit.
func (a *trackTable) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	src, err := source(md, a.Source)
	if err != nil {
		return err
	}
	if src.Table(a.Table) != nil {
		return hasuraerr.New(hasuraerr.CodeAlreadyTracked, "$", "view/table already tracked : %q", a.Table.Display())
	}
	ct, err := dbTable(cat, a.Table)
	if err != nil {
		return err
	}
	if err := checkConfig(ct, a.Configuration); err != nil {
		return err
	}
	if a.IsEnum {
		if err := checkEnum(ct); err != nil {
			return err
		}
	}
	src.Tables = append(src.Tables, metadata.Table{Table: a.Table, Configuration: a.Configuration, IsEnum: a.IsEnum})
	return nil
}

// checkConfig checks that a configuration names existing columns.
func checkConfig(ct *catalog.Table, cfg *metadata.TableConfig) error {
	if cfg == nil {
		return nil
	}
	for col := range cfg.ColumnConfig {
		if ct.Column(col) == nil {
			return notExists("$.configuration.column_config", "no such column exists: %q", col)
		}
	}
	for col := range cfg.CustomColumnNames {
		if ct.Column(col) == nil {
			return notExists("$.configuration.custom_column_names", "no such column exists: %q", col)
		}
	}
	return nil
}

// checkEnum checks Hasura's rules for enum tables (catalog.EnumShape).
func checkEnum(ct *catalog.Table) error {
	if _, _, reason, ok := catalog.EnumShape(ct); !ok {
		return hasuraerr.New(hasuraerr.CodeConstraintViolation, "$",
			"the table %q cannot be used as an enum because %s", ct.Name.Display(), reason)
	}
	return nil
}

// untrackTable is pg_untrack_table (and untrack_table).
type untrackTable struct {
	TableRef
	Cascade bool `json:"cascade"`
}

// Apply implements Edit.
func (a *untrackTable) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	src, err := source(md, a.Source)
	if err != nil {
		return err
	}
	if src.Table(a.Table) == nil {
		return hasuraerr.New(hasuraerr.CodeAlreadyUntracked, "$", "view/table already untracked : %q", a.Table.Display())
	}
	if deps := dependentsOfTable(src, a.Table, cat); len(deps) > 0 {
		if !a.Cascade {
			return dependencyError(src.Name, deps)
		}
		removeRefs(src, deps)
	}
	src.Tables = slices.DeleteFunc(src.Tables, func(x metadata.Table) bool { return x.Table == a.Table })
	return nil
}

// setTableCustomization is pg_set_table_customization.
type setTableCustomization struct {
	TableRef
	Configuration *metadata.TableConfig `json:"configuration"`
}

// Apply implements Edit.
func (a *setTableCustomization) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	_, tbl, err := a.tracked(md)
	if err != nil {
		return err
	}
	ct, err := dbTable(cat, a.Table)
	if err != nil {
		return err
	}
	if err := checkConfig(ct, a.Configuration); err != nil {
		return err
	}
	tbl.Configuration = a.Configuration
	return nil
}

// setTableCustomFields is the legacy set_table_custom_fields.
type setTableCustomFields struct {
	TableRef
	CustomRootFields  *metadata.CustomRootFields `json:"custom_root_fields"`
	CustomColumnNames map[string]string          `json:"custom_column_names"`
}

// Apply implements Edit.
func (a *setTableCustomFields) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	_, tbl, err := a.tracked(md)
	if err != nil {
		return err
	}
	cfg := &metadata.TableConfig{}
	if tbl.Configuration != nil {
		*cfg = *tbl.Configuration
	}
	cfg.CustomRootFields, cfg.CustomColumnNames = a.CustomRootFields, a.CustomColumnNames
	ct, err := dbTable(cat, a.Table)
	if err != nil {
		return err
	}
	if err := checkConfig(ct, cfg); err != nil {
		return err
	}
	tbl.Configuration = cfg
	return nil
}

// setTableIsEnum is pg_set_table_is_enum.
type setTableIsEnum struct {
	TableRef
	IsEnum bool `json:"is_enum" args:"required"`
}

// Apply implements Edit.
func (a *setTableIsEnum) Apply(md *metadata.Metadata, cat *catalog.Catalog) error {
	_, tbl, err := a.tracked(md)
	if err != nil {
		return err
	}
	if a.IsEnum {
		ct, err := dbTable(cat, a.Table)
		if err != nil {
			return err
		}
		if err := checkEnum(ct); err != nil {
			return err
		}
	}
	tbl.IsEnum = a.IsEnum
	return nil
}
