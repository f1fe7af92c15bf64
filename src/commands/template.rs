//! `swarm-aws template`: prints the swarm template for a spec without creating anything.

use std::io::Write;

use crate::cli::{GlobalArgs, TemplateArgs, TemplateFormat};
use crate::spec::load::load;
use crate::template::{render_cluster, to_json_string, to_yaml_string};
use crate::Error;

/// Renders and prints the template.
pub fn run(global: &GlobalArgs, args: &TemplateArgs) -> Result<(), Error> {
    let spec = load(&args.cluster.spec_input(global.region.as_deref()))?;
    let template = render_cluster(&spec);
    print_template(&template, args.format)
}

/// Writes a template to stdout in the chosen format.
pub fn print_template(template: &serde_json::Value, format: TemplateFormat) -> Result<(), Error> {
    let text = match format {
        TemplateFormat::Json => to_json_string(template),
        TemplateFormat::Yaml => to_yaml_string(template),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}
