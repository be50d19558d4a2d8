"""PACS and DICOM interoperability: DICOMweb/DIMSE in and out, de-identification on ingest.

- :mod:`theratrial.pacs.deid`: DICOM PS3.15 Annex E on one data set.
- :mod:`theratrial.pacs.deid_folder`: a folder of one patient, all or nothing.
- :mod:`theratrial.pacs.pseudonyms`: the pseudonym map with one date shift per pseudonym.
- :mod:`theratrial.pacs.dicomweb`: QIDO-RS, WADO-RS and STOW-RS.
- :mod:`theratrial.pacs.dimse`: C-FIND and C-GET for PACS without DICOMweb.
- :mod:`theratrial.pacs.receive`: a C-STORE SCP filing whole studies atomically.
- :mod:`theratrial.pacs.export`: a study's results as DICOM SEG, TID 1500 SR, RT Dose and
  Encapsulated PDF (:mod:`~theratrial.pacs.segmentation`,
  :mod:`~theratrial.pacs.measurement_report`, :mod:`~theratrial.pacs.rtdose`,
  :mod:`~theratrial.pacs.encapsulated_pdf`).
"""

from __future__ import annotations

__all__: list[str] = []
