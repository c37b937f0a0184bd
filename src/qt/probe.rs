#[cxx_qt::bridge]
pub mod qobject {
    unsafe extern "RustQt" {
        #[qobject]
        type Probe = super::ProbeRust;
    }
}
#[derive(Default)]
pub struct ProbeRust;
