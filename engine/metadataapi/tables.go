package metadataapi

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/stratagql/strata/engine/catalog"
	"github.com/stratagql/strata/engine/metadata"
)

// trackTable is pg_track_table (and track_table, add_existing_table_or_view,
// whose v1 args may be the table itself: {"schema": ..., "name": ...}).
func trackTable(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	if !o.has("table") && o.has("name") {
		inline := map[string]json.RawMessage{"table": mustJSON(map[string]json.RawMessage{"name": o.m["name"], "schema": o.m["schema"]})}
		if o.has("schema") {
			delete(o.m, "schema")
		} else {
			inline["table"] = o.m["name"]
		}
		delete(o.m, "name")
		for k, v := range o.m {
			inline[k] = v
		}
		o.m = inline
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var cfg *metadata.TableConfig
	var isEnum bool
	if err := o.opt("configuration", &cfg); err != nil {
		return nil, err
	}
	if err := o.opt("is_enum", &isEnum); err != nil {
		return nil, err
	}
	o.ignore("apollo_federation_config")
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		src, err := c.source(md, t.Source)
		if err != nil {
			return err
		}
		if src.Table(t.Table) != nil {
			return newErr(http.StatusBadRequest, codeAlreadyTracked, c.path, "view/table already tracked : %q", t.Table.Display())
		}
		ct, err := c.dbTable(cat, t.Table)
		if err != nil {
			return err
		}
		if err := c.tableConfig(ct, cfg); err != nil {
			return err
		}
		if isEnum {
			if err := c.enumTable(ct); err != nil {
				return err
			}
		}
		src.Tables = append(src.Tables, metadata.Table{Table: t.Table, Configuration: cfg, IsEnum: isEnum})
		return nil
	}, nil
}

// tableConfig checks that a configuration names existing columns.
func (c *call) tableConfig(ct *catalog.Table, cfg *metadata.TableConfig) *Error {
	if cfg == nil {
		return nil
	}
	path := c.path + ".configuration"
	for col := range cfg.ColumnConfig {
		if ct.Column(col) == nil {
			return notExists(path+".column_config", "no such column exists: %q", col)
		}
	}
	for col := range cfg.CustomColumnNames {
		if ct.Column(col) == nil {
			return notExists(path+".custom_column_names", "no such column exists: %q", col)
		}
	}
	return nil
}

// enumTable checks Hasura's rules for enum tables (catalog.EnumShape).
func (c *call) enumTable(ct *catalog.Table) *Error {
	if _, _, reason, ok := catalog.EnumShape(ct); !ok {
		return newErr(http.StatusBadRequest, codeConstraintViolate, c.path,
			"the table %q cannot be used as an enum because %s", ct.Name.Display(), reason)
	}
	return nil
}

// untrackTable is pg_untrack_table (and untrack_table).
func untrackTable(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var cascade bool
	if err := o.opt("cascade", &cascade); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		src, err := c.source(md, t.Source)
		if err != nil {
			return err
		}
		if src.Table(t.Table) == nil {
			return newErr(http.StatusBadRequest, codeAlreadyUntracked, c.path, "view/table already untracked : %q", t.Table.Display())
		}
		if deps := dependentsOfTable(src, t.Table, cat); len(deps) > 0 {
			if !cascade {
				return dependencyError(c.path, src.Name, deps)
			}
			removeRefs(src, deps)
		}
		src.Tables = slices.DeleteFunc(src.Tables, func(x metadata.Table) bool { return x.Table == t.Table })
		return nil
	}, nil
}

// setTableCustomization is pg_set_table_customization.
func setTableCustomization(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var cfg *metadata.TableConfig
	if err := o.opt("configuration", &cfg); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		_, tbl, err := c.tracked(md, t)
		if err != nil {
			return err
		}
		ct, err := c.dbTable(cat, t.Table)
		if err != nil {
			return err
		}
		if err := c.tableConfig(ct, cfg); err != nil {
			return err
		}
		tbl.Configuration = cfg
		return nil
	}, nil
}

// setTableCustomFields is the legacy set_table_custom_fields.
func setTableCustomFields(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var roots *metadata.CustomRootFields
	var cols map[string]string
	if err := o.opt("custom_root_fields", &roots); err != nil {
		return nil, err
	}
	if err := o.opt("custom_column_names", &cols); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		_, tbl, err := c.tracked(md, t)
		if err != nil {
			return err
		}
		cfg := &metadata.TableConfig{}
		if tbl.Configuration != nil {
			*cfg = *tbl.Configuration
		}
		cfg.CustomRootFields, cfg.CustomColumnNames = roots, cols
		ct, err := c.dbTable(cat, t.Table)
		if err != nil {
			return err
		}
		if err := c.tableConfig(ct, cfg); err != nil {
			return err
		}
		tbl.Configuration = cfg
		return nil
	}, nil
}

// setTableIsEnum is pg_set_table_is_enum.
func setTableIsEnum(c *call) (edit, *Error) {
	o, err := newObject(c.args, c.path)
	if err != nil {
		return nil, err
	}
	t, err := o.tableArgs()
	if err != nil {
		return nil, err
	}
	var isEnum bool
	if err := o.req("is_enum", &isEnum); err != nil {
		return nil, err
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return func(md *metadata.Metadata, cat *catalog.Catalog) error {
		_, tbl, err := c.tracked(md, t)
		if err != nil {
			return err
		}
		if isEnum {
			ct, err := c.dbTable(cat, t.Table)
			if err != nil {
				return err
			}
			if err := c.enumTable(ct); err != nil {
				return err
			}
		}
		tbl.IsEnum = isEnum
		return nil
	}, nil
}
