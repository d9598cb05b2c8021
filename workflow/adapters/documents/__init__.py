"""Documents, the I/O part: the DOCX templates (read, checked, filled with docxtpl), the PDF
(LibreOffice headless), the verification QR, the dossier (pypdf). The pure rules are in
`workflow.domain.documents`; nothing here decides what a document says."""
from .dossier import DossierPart, build_dossier
from .pdf import LibreOffice
from .render import Documents
from .templates import FolderTemplates, TemplateSource, check_template, load_kinds
from .verification import ProvisionalVerification, VerificationIssuer, qr_png

__all__ = ["Documents", "DossierPart", "FolderTemplates", "LibreOffice", "ProvisionalVerification",
           "TemplateSource", "VerificationIssuer", "build_dossier", "check_template", "load_kinds", "qr_png"]
