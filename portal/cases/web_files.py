"""Case materials: upload (multipart, checked by content), download (scoped, audited), removal."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response

from portal.audit import service as audit
from portal.cases import files, service
from portal.cases.access import require_act
from portal.errors import Forbidden, Invalid
from portal.orgs.models import Organisation
from portal.web.render import Db, address_of, principal_of, redirect, settings_of

Multipart = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class CaseFilesController(Controller):
    path = "/cases/{case_id:int}/files"

    @post("/", name="upload_case_file", sync_to_thread=True)
    def upload_case_file(self, request: Request, db: Db, case_id: FromPath[int], data: Multipart) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        settings = settings_of(request)
        upload = data.get("file")
        content = upload.file.read() if isinstance(upload, UploadFile) else b""
        filename = upload.filename if isinstance(upload, UploadFile) else ""
        url = request.app.route_reverse("show_case", case_id=case_id)
        prepared, refused = None, None
        if files.may_upload(principal):  # checked and stored before the transaction begins (files.prepare)
            try:
                prepared = files.prepare(
                    filename=filename,
                    data=content,
                    doc_type=str(data.get("doc_type", "")),
                    root=settings.uploads_dir,
                    max_bytes=settings.upload_max_mb * 1048576,
                )
            except Invalid as exc:
                refused = exc
        case = service.get_case(db, principal, case_id)
        require_act(principal, case, files.upload_roles(case), files.upload_what(case))
        if prepared is None:
            errors = refused.errors if refused else {"file": "请选择要上传的文件。"}
            return redirect(request, f"{url}#files", message="上传未成功：" + "；".join(errors.values()), level="error")
        try:
            files.record_upload(
                db, principal, case, prepared, address=address_of(request), provided_by=str(data.get("provided_by", ""))
            )
        except Invalid as exc:
            db.rollback()
            return redirect(
                request, f"{url}#files", message="上传未成功：" + "；".join(exc.errors.values()), level="error"
            )
        return redirect(request, f"{url}#files", message=f"已上传：{prepared.filename}")

    @get("/{file_id:int}", name="download_case_file", sync_to_thread=True, opt={"writes": True})
    def download_case_file(self, request: Request, db: Db, case_id: FromPath[int], file_id: FromPath[int]) -> Response:
        principal = principal_of(request)
        assert principal is not None
        case = service.get_case(db, principal, case_id)
        record = files.get_file(db, case, file_id)
        if not files.may_download(principal, case, record):
            raise Forbidden("当事人身份证明材料载有身份证号码：只有办理机构的受理员、调解员和调委会主任可以下载。")
        content = files.read(settings_of(request).uploads_dir, record)
        audit.record(
            db,
            "case.download",
            actor=principal.person,
            org=db.get(Organisation, case.org_id),
            object_type="case",
            object_id=case.id,
            summary=f"下载材料 {record.filename}：{case.number}",
            address=address_of(request),
        )
        return Response(
            content=content,
            media_type=record.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{quote(record.filename)}",
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @post("/{file_id:int}/delete", name="remove_case_file", sync_to_thread=True)
    def remove_case_file(self, request: Request, db: Db, case_id: FromPath[int], file_id: FromPath[int]) -> Redirect:
        principal = principal_of(request)
        assert principal is not None
        case = service.get_case(db, principal, case_id)
        files.remove(db, principal, case, file_id, address=address_of(request))
        return redirect(
            request, request.app.route_reverse("show_case", case_id=case.id) + "#files", message="已删除材料。"
        )
