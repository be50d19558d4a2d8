"""The screening context: a patient, its reference dates, and fact lookup with evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from theratrial.eligibility import clinical
from theratrial.eligibility.evidence import Evidence
from theratrial.eligibility.patient import LAB_ALIASES, LabResult, Patient, lab_key
from theratrial.eligibility.units import convert
from theratrial.errors import ParameterError, PatientRecordError

__all__ = ["LAB_ALIASES", "Context", "Fact"]


@dataclass(frozen=True, slots=True)
class Fact:
    """A patient fact with its unit, date and the evidence that produced it."""

    value: float | int | str | bool
    unit: str | None
    evidence: tuple[Evidence, ...]


@dataclass
class Context:
    """What the rules look at: the patient, the dates, the protocol's lab freshness."""

    patient: Patient
    on: date
    lab_max_age_days: int
    criterion_id: str = ""
    assumptions: list[str] = field(default_factory=list)

    def reference(self, point: str) -> tuple[date, Evidence]:
        """The date a window counts back from, with evidence saying which date it is."""
        p = self.patient
        if point == "treatment_start" and p.planned_treatment_date is not None:
            return p.planned_treatment_date, Evidence(
                "planned_treatment_date", None, date=p.planned_treatment_date
            )
        if point == "consent" and p.consent is not None and p.consent.date is not None:
            return p.consent.date, Evidence("consent.date", None, date=p.consent.date)
        if point != "screening":
            note = f"no {point.replace('_', ' ')} date recorded; the screening date is used"
            if note not in self.assumptions:
                self.assumptions.append(note)
            return self.on, Evidence("screening_date", None, date=self.on, note=note)
        return self.on, Evidence("screening_date", None, date=self.on)

    # -- labs ----------------------------------------------------------------------------
    def latest_lab(self, name: str) -> LabResult | None:
        """The most recent result of a lab test on or before the screening date."""
        key = lab_key(name)
        results = [
            lab for lab in self.patient.labs if lab_key(lab.name) == key and lab.date <= self.on
        ]
        return max(results, key=lambda lab: lab.date) if results else None

    def lab_too_old(self, lab: LabResult, max_age_days: int | None) -> bool:
        """True when the result is older than the allowed age."""
        limit = max_age_days if max_age_days is not None else self.lab_max_age_days
        return (self.on - lab.date) > timedelta(days=limit)

    @staticmethod
    def lab_evidence(lab: LabResult) -> Evidence:
        ref = ""
        if lab.ref_low is not None or lab.ref_high is not None:
            low = "" if lab.ref_low is None else f"{lab.ref_low:g}"
            high = "" if lab.ref_high is None else f"{lab.ref_high:g}"
            ref = f"reference range {low}-{high} {lab.unit}"
        return Evidence(f"lab.{lab_key(lab.name)}", lab.value, lab.unit, lab.date, ref or None)

    def _lab_in(self, name: str, unit: str) -> Fact | None:
        lab = self.latest_lab(name)
        if lab is None or self.lab_too_old(lab, None):
            return None
        index = self.patient.labs.index(lab)
        value = convert(
            lab.value, lab.unit, unit, analyte=lab_key(name), field=f"labs[{index}].unit"
        )
        return Fact(value, unit, (self.lab_evidence(lab),))

    # -- facts ---------------------------------------------------------------------------
    def fact(self, name: str) -> Fact | None:
        """Look up a fact by name; ``None`` when the record does not have it."""
        p = self.patient
        d = p.demographics
        if name == "age_years":
            if d.birth_date is not None:
                age = clinical.age_years(d.birth_date, on=self.on)
                return Fact(
                    age,
                    "year",
                    (
                        Evidence(
                            "age_years",
                            age,
                            "year",
                            self.on,
                            f"from birth date {d.birth_date} at {self.on}",
                        ),
                    ),
                )
            if d.age_years is not None:
                return Fact(d.age_years, "year", (Evidence("age_years", d.age_years, "year"),))
            return None
        simple: dict[str, tuple[object, str | None]] = {
            "sex": (d.sex, None),
            "weight_kg": (d.weight_kg, "kg"),
            "height_cm": (d.height_cm, "cm"),
            "ecog": (p.ecog, None),
            "life_expectancy_weeks": (p.life_expectancy_weeks, "week"),
        }
        if name in simple:
            value, unit = simple[name]
            if value is None:
                return None
            assert isinstance(value, int | float | str | bool)
            return Fact(value, unit, (Evidence(name, value, unit),))
        if name.startswith("diagnosis."):
            return self._diagnosis(name.split(".", 1)[1])
        if name.startswith("flags."):
            flag = p.flags.get(name.split(".", 1)[1])
            return None if flag is None else Fact(flag, None, (Evidence(name, flag),))
        if name == "consent.signed":
            if p.consent is None:
                return None
            return Fact(
                p.consent.signed, None, (Evidence(name, p.consent.signed, date=p.consent.date),)
            )
        if name.startswith("lab."):
            lab = self.latest_lab(name.split(".", 1)[1])
            if lab is None or self.lab_too_old(lab, None):
                return None
            return Fact(lab.value, lab.unit, (self.lab_evidence(lab),))
        derived = {
            "bmi_kg_m2": self._bmi,
            "bsa_m2": self._bsa,
            "crcl_cockcroft_gault": self._crcl,
            "egfr_ckd_epi_2021": self._egfr,
            "has_liver_metastases": self._liver_mets,
        }
        if name in derived:
            return derived[name]()
        raise ParameterError(  # pragma: no cover - protocols are validated against FACT_NAMES
            f"unknown fact {name!r}", field="fact", hint="see theratrial.protocol.rules.FACT_NAMES"
        )

    def _diagnosis(self, attr: str) -> Fact | None:
        dx = self.patient.diagnosis
        if dx is None:
            return None
        value = dx.gep if attr == "gep" else getattr(dx, attr, None)
        if value is None:
            return None
        unit = "percent" if attr == "ki67_pct" else None
        note = f"primary site {dx.primary_site!r}" if attr == "gep" else None
        return Fact(value, unit, (Evidence(f"diagnosis.{attr}", value, unit, note=note),))

    def _bmi(self) -> Fact | None:
        d = self.patient.demographics
        if d.weight_kg is None or d.height_cm is None:
            return None
        bmi = clinical.bmi_kg_m2(weight_kg=d.weight_kg, height_cm=d.height_cm)
        return Fact(
            bmi,
            "kg/m^2",
            (
                Evidence(
                    "bmi_kg_m2",
                    round(bmi, 2),
                    "kg/m2",
                    note=f"{d.weight_kg} kg / ({d.height_cm} cm)^2",
                ),
            ),
        )

    def _bsa(self) -> Fact | None:
        d = self.patient.demographics
        if d.weight_kg is None or d.height_cm is None:
            return None
        bsa = clinical.bsa_m2(weight_kg=d.weight_kg, height_cm=d.height_cm)
        return Fact(bsa, "m^2", (Evidence("bsa_m2", round(bsa, 3), "m2", note="Mosteller"),))

    def _renal_inputs(self) -> tuple[float, Fact] | None:
        age = self.fact("age_years")
        creat = self._lab_in("creatinine", "mg/dL")
        if age is None or creat is None:
            return None
        assert isinstance(age.value, int | float)
        assert isinstance(creat.value, float)
        if creat.value <= 0:
            lab = self.latest_lab("creatinine")
            index = self.patient.labs.index(lab) if lab is not None else 0
            raise PatientRecordError(
                f"serum creatinine must be positive, got {creat.value:g} mg/dL",
                field=f"labs[{index}].value",
                hint="give the measured serum creatinine",
            )
        return float(age.value), creat

    def _crcl(self) -> Fact | None:
        inputs = self._renal_inputs()
        d = self.patient.demographics
        if inputs is None or d.weight_kg is None:
            return None
        age, creat = inputs
        assert isinstance(creat.value, float)
        crcl = clinical.cockcroft_gault_ml_min(
            age_years=age, weight_kg=d.weight_kg, creatinine_mg_dl=creat.value, sex=d.sex
        )
        note = (
            f"Cockcroft-Gault: age {age:g} y, weight {d.weight_kg:g} kg, "
            f"SCr {creat.value:.3g} mg/dL, {d.sex}"
        )
        return Fact(
            crcl,
            "mL/min",
            (
                *creat.evidence,
                Evidence("crcl_cockcroft_gault", round(crcl, 2), "mL/min", note=note),
            ),
        )

    def _egfr(self) -> Fact | None:
        inputs = self._renal_inputs()
        if inputs is None:
            return None
        age, creat = inputs
        assert isinstance(creat.value, float)
        sex = self.patient.demographics.sex
        egfr = clinical.egfr_ckd_epi_2021(age_years=age, creatinine_mg_dl=creat.value, sex=sex)
        note = f"CKD-EPI 2021: age {age:g} y, SCr {creat.value:.3g} mg/dL, {sex}"
        return Fact(
            egfr,
            "mL/min",
            (
                *creat.evidence,
                Evidence("egfr_ckd_epi_2021", round(egfr, 1), "mL/min/1.73m2", note=note),
            ),
        )

    def _liver_mets(self) -> Fact | None:
        p = self.patient
        for cond in p.conditions:
            if cond.name == "liver_metastases":
                return Fact(
                    cond.present,
                    None,
                    (Evidence("condition.liver_metastases", cond.present, date=cond.date),),
                )
        liver = [
            les for les in p.lesions if "liver" in les.site.lower() or "hepat" in les.site.lower()
        ]
        if liver:
            return Fact(
                True,
                None,
                (
                    Evidence(
                        "has_liver_metastases",
                        True,
                        note=f"liver lesion {liver[0].id} on {liver[0].date}",
                    ),
                ),
            )
        if p.lesions:
            return Fact(
                False,
                None,
                (
                    Evidence(
                        "has_liver_metastases",
                        False,
                        note="no liver lesion among the recorded lesions",
                    ),
                ),
            )
        return None
