//! The latency benchmark's document, shared by the protocol tests
//! (`tests/lsp.rs`) and the in-process reuse timing (`tests/lsp_reuse.rs`).

/// A generated policy file of about `lines` lines: KPIs, initiatives with
/// datasets, monitors and gates.
pub fn generate(lines: usize) -> String {
    let mut s = String::from(
        "// Generated for the latency benchmark.\nimport \"std/policies\"\n\n/// The sponsor.\nperson dana {\n  name \"Dana Ramán 😀\"\n  role CFO\n}\n\n/// The program.\nprogram prog {\n  sponsor      dana\n  review_every 30d\n  last_review  2026-11-02\n  objectives   [kpi_0]\n}\n\n",
    );
    let mut i = 0;
    while s.matches('\n').count() < lines {
        s.push_str(&format!(
            "/// KPI number {i}.\nkpi kpi_{i} {{\n  metric  \"metric_{i}\"\n  labels  {{ model \"m{i}\" }}\n  unit    percent\n  target  >= 92%\n  warn    < 94%\n  max_age 2d\n}}\n\n"
        ));
        s.push_str(&format!(
            "/// Initiative {i}.\ninitiative init_{i} {{\n  title          \"Initiative {i}\"\n  program        prog\n  owner          dana\n  stage          model\n  kpis           [kpi_{i}]\n  contributes_to [kpi_0]\n\n  dataset data_{i} {{\n    versioned true\n    tool      \"dvc\"\n  }}\n\n  monitor drift_{i} {{\n    kind drift\n    kpi  kpi_{i}\n  }}\n\n  gate model -> produce {{\n    require kpi_{i}\n    require kpi_{i} for 7d\n    require avg(kpi_{i}, 7d) > 90%\n    expect  prog.last_review > today - 90d\n      because \"reviews\"\n  }}\n}}\n\n"
        ));
        i += 1;
    }
    s
}
