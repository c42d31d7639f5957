# sovereign: research questions -> arXiv search -> TF-IDF filter -> embed, full text -> claims
# -> answer -> review -> report and public record.
# Thin by design: config, validation and helpers live in rules/common.smk, logic in src/sovereign.
from snakemake.utils import min_version

min_version("9.27")

# Checked before Snakemake loads it: Snakemake's own message names neither the file nor the line.
import sys

sys.path.insert(0, f"{workflow.basedir}/src")
from sovereign.config.files import check_config_file
from sovereign.errors import SovereignError

try:
    check_config_file("config/config.yaml", required=not workflow.overwrite_configfiles)
except SovereignError as err:
    sys.exit(f"sovereign: {err.message}")


configfile: "config/config.yaml"


include: "rules/common.smk"


# Inside a Gate 2 bundle of a snapshot search the raw stage is frozen: search never runs there.
# (A bundle of an arXiv search replays it from the bundled ledger: search.backend replay.)
if not FROZEN_SEARCH:

    include: "rules/search.smk"


include: "rules/filter.smk"
include: "rules/embed.smk"
include: "rules/fulltext.smk"
include: "rules/claims.smk"
include: "rules/answer.smk"
include: "rules/review.smk"
include: "rules/report.smk"
include: "rules/gate2.smk"


rule all:
    default_target: True
    input:
        final_outputs(),
