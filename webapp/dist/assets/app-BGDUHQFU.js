var se,w,Ue,bt,M,Ie,qe,He,fe,J,Y,Le,$e,he,me,wt,ee={},te=[],kt=/acit|ex(?:s|g|n|p|$)|rph|grid|ows|mnc|ntw|ine[ch]|zoo|^ord|itera/i,oe=Array.isArray;function F(t,e){for(var n in e)t[n]=e[n];return t}function ye(t){t&&t.parentNode&&t.parentNode.removeChild(t)}function ge(t,e,n){var s,i,o,r={};for(o in e)o=="key"?s=e[o]:o=="ref"?i=e[o]:r[o]=e[o];if(arguments.length>2&&(r.children=arguments.length>3?se.call(arguments,2):n),typeof t=="function"&&t.defaultProps!=null)for(o in t.defaultProps)r[o]===void 0&&(r[o]=t.defaultProps[o]);return X(t,r,s,i,null)}function X(t,e,n,s,i){var o={type:t,props:e,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:void 0,__v:i??++Ue,__i:-1,__u:0};return i==null&&w.vnode!=null&&w.vnode(o),o}function re(t){return t.children}function Z(t,e){this.props=t,this.context=e}function W(t,e){if(e==null)return t.__?W(t.__,t.__i+1):null;for(var n;e<t.__k.length;e++)if((n=t.__k[e])!=null&&n.__e!=null)return n.__e;return typeof t.type=="function"?W(t):null}function xt(t){if(t.__P&&t.__d){var e=t.__v,n=e.__e,s=[],i=[],o=F({},e);o.__v=e.__v+1,w.vnode&&w.vnode(o),ve(t.__P,o,e,t.__n,t.__P.namespaceURI,32&e.__u?[n]:null,s,n??W(e),!!(32&e.__u),i),o.__v=e.__v,o.__.__k[o.__i]=o,je(s,o,i),e.__e=e.__=null,o.__e!=n&&Oe(o)}}function Oe(t){if((t=t.__)!=null&&t.__c!=null)return t.__e=t.__c.base=null,t.__k.some(function(e){if(e!=null&&e.__e!=null)return t.__e=t.__c.base=e.__e}),Oe(t)}function Re(t){(!t.__d&&(t.__d=!0)&&M.push(t)&&!ne.__r++||Ie!=w.debounceRendering)&&((Ie=w.debounceRendering)||qe)(ne)}function ne(){try{for(var t,e=1;M.length;)M.length>e&&M.sort(He),t=M.shift(),e=M.length,xt(t)}finally{M.length=ne.__r=0}}function Fe(t,e,n,s,i,o,r,l,u,c,p){var _,a,f,v,b,g,m=s&&s.__k||te,$=e.length;for(u=Ct(n,e,m,u,$),_=0;_<$;_++)(f=n.__k[_])!=null&&(a=f.__i!=-1&&m[f.__i]||ee,f.__i=_,g=ve(t,f,a,i,o,r,l,u,c,p),v=f.__e,f.ref&&a.ref!=f.ref&&(a.ref&&be(a.ref,null,f),p.push(f.ref,f.__c||v,f)),b==null&&v!=null&&(b=v),4&f.__u?(u=Me(f,u,t),a.__e&&(a.__e=null)):typeof f.type=="function"&&g!==void 0?u=g:v&&(u=v.nextSibling),f.__u&=-7);return n.__e=b,u}function Ct(t,e,n,s,i){var o,r,l,u,c,p=n.length,_=p,a=0;for(t.__k=new Array(i),o=0;o<i;o++)(r=e[o])!=null&&typeof r!="boolean"&&typeof r!="function"?(typeof r=="string"||typeof r=="number"||typeof r=="bigint"||r.constructor==String?r=t.__k[o]=X(null,r,null,null,null):oe(r)?r=t.__k[o]=X(re,{children:r},null,null,null):r.constructor===void 0&&r.__b>0?r=t.__k[o]=X(r.type,r.props,r.key,r.ref?r.ref:null,r.__v):t.__k[o]=r,u=o+a,r.__=t,r.__b=t.__b+1,l=null,(c=r.__i=St(r,n,u,_))!=-1&&(_--,(l=n[c])&&(l.__u|=2)),l==null||l.__v==null?(c==-1&&(i>p?a--:i<p&&a++),typeof r.type!="function"&&(r.__u|=4)):c!=u&&(c==u-1?a--:c==u+1?a++:(c>u?a--:a++,r.__u|=4))):t.__k[o]=null;if(_)for(o=0;o<p;o++)(l=n[o])!=null&&(2&l.__u)==0&&(l.__e==s&&(s=W(l)),Qe(l,l));return s}function Me(t,e,n){var s,i;if(typeof t.type=="function"){for(s=t.__k,i=0;s&&i<s.length;i++)s[i]&&(s[i].__=t,e=Me(s[i],e,n));return e}t.__e!=e&&(e&&t.type&&!e.parentNode&&(e=W(t)),e=n.insertBefore(t.__e,e||null));do e=e&&e.nextSibling;while(e!=null&&e.nodeType==8);return e}function St(t,e,n,s){var i,o,r,l=t.key,u=t.type,c=e[n],p=c!=null&&(2&c.__u)==0;if(c===null&&l==null||p&&l==c.key&&u==c.type)return n;if(s>(p?1:0)){for(i=n-1,o=n+1;i>=0||o<e.length;)if((c=e[r=i>=0?i--:o++])!=null&&(2&c.__u)==0&&l==c.key&&u==c.type)return r}return-1}function De(t,e,n){e[0]=="-"?t.setProperty(e,n??""):t[e]=n==null?"":typeof n!="number"||kt.test(e)?n:n+"px"}function z(t,e,n,s,i){var o,r;e:if(e=="style")if(typeof n=="string")t.style.cssText=n;else{if(typeof s=="string"&&(t.style.cssText=s=""),s)for(e in s)n&&e in n||De(t.style,e,"");if(n)for(e in n)s&&n[e]==s[e]||De(t.style,e,n[e])}else if(e[0]=="o"&&e[1]=="n")o=e!=(e=e.replace(Le,"$1")),r=e.toLowerCase(),e=r in t||e=="onFocusOut"||e=="onFocusIn"?r.slice(2):e.slice(2),t.l||(t.l={}),t.l[e+o]=n,n?s?n[Y]=s[Y]:(n[Y]=$e,t.addEventListener(e,o?me:he,o)):t.removeEventListener(e,o?me:he,o);else{if(i=="http://www.w3.org/2000/svg")e=e.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(e!="width"&&e!="height"&&e!="href"&&e!="list"&&e!="form"&&e!="tabIndex"&&e!="download"&&e!="rowSpan"&&e!="colSpan"&&e!="role"&&e!="popover"&&e in t)try{t[e]=n??"";break e}catch{}typeof n=="function"||(n==null||n===!1&&e[4]!="-"?t.removeAttribute(e):t.setAttribute(e,e=="popover"&&n==1?"":n))}}function Ae(t){return function(e){if(this.l){var n=this.l[e.type+t];if(e[J]==null)e[J]=$e++;else if(e[J]<n[Y])return;return n(w.event?w.event(e):e)}}}function ve(t,e,n,s,i,o,r,l,u,c){var p,_,a,f,v,b,g,m,$,x,D,O,Q,k,T,E,I=e.type;if(e.constructor!==void 0)return null;128&n.__u&&(u=!!(32&n.__u),o=[l=e.__e=n.__e]),(p=w.__b)&&p(e);e:if(typeof I=="function"){_=r.length;try{if($=e.props,x=I.prototype&&I.prototype.render,D=(p=I.contextType)&&s[p.__c],O=p?D?D.props.value:p.__:s,n.__c?m=(a=e.__c=n.__c).__=a.__E:(x?e.__c=a=new I($,O):(e.__c=a=new Z($,O),a.constructor=I,a.render=Et),D&&D.sub(a),a.state||(a.state={}),a.__n=s,f=a.__d=!0,a.__h=[],a._sb=[]),x&&a.__s==null&&(a.__s=a.state),x&&I.getDerivedStateFromProps!=null&&(a.__s==a.state&&(a.__s=F({},a.__s)),F(a.__s,I.getDerivedStateFromProps($,a.__s))),v=a.props,b=a.state,a.__v=e,f)x&&I.getDerivedStateFromProps==null&&a.componentWillMount!=null&&a.componentWillMount(),x&&a.componentDidMount!=null&&a.__h.push(a.componentDidMount);else{if(x&&I.getDerivedStateFromProps==null&&$!==v&&a.componentWillReceiveProps!=null&&a.componentWillReceiveProps($,O),e.__v==n.__v||!a.__e&&a.shouldComponentUpdate!=null&&a.shouldComponentUpdate($,a.__s,O)===!1){e.__v!=n.__v&&(a.props=$,a.state=a.__s,a.__d=!1),e.__e=n.__e,e.__k=n.__k,e.__k.some(function(K){K&&(K.__=e)}),te.push.apply(a.__h,a._sb),a._sb=[],a.__h.length&&r.push(a),l=W(n);break e}a.componentWillUpdate!=null&&a.componentWillUpdate($,a.__s,O),x&&a.componentDidUpdate!=null&&a.__h.push(function(){a.componentDidUpdate(v,b,g)})}if(a.context=O,a.props=$,a.__P=t,a.__e=!1,Q=w.__r,k=0,x)a.state=a.__s,a.__d=!1,Q&&Q(e),p=a.render(a.props,a.state,a.context),te.push.apply(a.__h,a._sb),a._sb=[];else do a.__d=!1,Q&&Q(e),p=a.render(a.props,a.state,a.context),a.state=a.__s;while(a.__d&&++k<25);a.state=a.__s,a.getChildContext!=null&&(s=F(F({},s),a.getChildContext())),x&&!f&&a.getSnapshotBeforeUpdate!=null&&(g=a.getSnapshotBeforeUpdate(v,b)),T=p!=null&&p.type===re&&p.key==null?Be(p.props.children):p,l=Fe(t,oe(T)?T:[T],e,n,s,i,o,r,l,u,c),a.base=e.__e,e.__u&=-161,a.__h.length&&r.push(a),m&&(a.__E=a.__=null)}catch(K){if(r.length=_,e.__v=null,u||o!=null){if(K.then){for(e.__u|=u?160:128;l&&l.nodeType==8&&l.nextSibling;)l=l.nextSibling;o!=null&&(o[o.indexOf(l)]=null),e.__e=l}else if(o!=null)for(E=o.length;E--;)ye(o[E])}else e.__e=n.__e;e.__k==null&&(e.__k=n.__k||[]),K.then||Ne(e),w.__e(K,e,n)}}else o==null&&e.__v==n.__v?(e.__k=n.__k,e.__e=n.__e):l=e.__e=Tt(n.__e,e,n,s,i,o,r,u,c);return(p=w.diffed)&&p(e),128&e.__u?void 0:l}function Ne(t){t&&(t.__c&&(t.__c.__e=!0),t.__k&&t.__k.some(Ne))}function je(t,e,n){for(var s=0;s<n.length;s++)be(n[s],n[++s],n[++s]);w.__c&&w.__c(e,t),t.some(function(i){try{t=i.__h,i.__h=[],t.some(function(o){o.call(i)})}catch(o){w.__e(o,i.__v)}})}function Be(t){return typeof t!="object"||t==null||t.__b>0?t:oe(t)?t.map(Be):t.constructor!==void 0?null:F({},t)}function Tt(t,e,n,s,i,o,r,l,u){var c,p,_,a,f,v,b,g=n.props||ee,m=e.props,$=e.type;if($=="svg"?i="http://www.w3.org/2000/svg":$=="math"?i="http://www.w3.org/1998/Math/MathML":i||(i="http://www.w3.org/1999/xhtml"),o!=null){for(c=0;c<o.length;c++)if((f=o[c])&&"setAttribute"in f==!!$&&($?f.localName==$:f.nodeType==3)){t=f,o[c]=null;break}}if(t==null){if($==null)return document.createTextNode(m);t=document.createElementNS(i,$,m.is&&m),l&&(w.__m&&w.__m(e,o),l=!1),o=null}if($==null)g===m||l&&t.data==m||(t.data=m);else{if(o=$=="textarea"&&m.defaultValue!=null?null:o&&se.call(t.childNodes),!l&&o!=null)for(g={},c=0;c<t.attributes.length;c++)g[(f=t.attributes[c]).name]=f.value;for(c in g)f=g[c],c=="dangerouslySetInnerHTML"?_=f:c=="children"||c in m||c=="value"&&"defaultValue"in m||c=="checked"&&"defaultChecked"in m||z(t,c,null,f,i);for(c in m)f=m[c],c=="children"?a=f:c=="dangerouslySetInnerHTML"?p=f:c=="value"?v=f:c=="checked"?b=f:l&&typeof f!="function"||g[c]===f||z(t,c,f,g[c],i);if(p)l||_&&(p.__html==_.__html||p.__html==t.innerHTML)||(t.innerHTML=p.__html),e.__k=[];else if(_&&(t.innerHTML=""),Fe(e.type=="template"?t.content:t,oe(a)?a:[a],e,n,s,$=="foreignObject"?"http://www.w3.org/1999/xhtml":i,o,r,o?o[0]:n.__k&&W(n,0),l,u),o!=null)for(c=o.length;c--;)ye(o[c]);l&&$!="textarea"||(c="value",$=="progress"&&v==null?t.removeAttribute("value"):v!=null&&(v!==t[c]||$=="progress"&&!v||$=="option"&&v!=g[c])&&z(t,c,v,g[c],i),c="checked",b!=null&&b!=t[c]&&z(t,c,b,g[c],i))}return t}function be(t,e,n){try{if(typeof t=="function"){var s=typeof t.__u=="function";s&&t.__u(),s&&e==null||(t.__u=t(e))}else t.current=e}catch(i){w.__e(i,n)}}function Qe(t,e,n){var s,i;if(w.unmount&&w.unmount(t),(s=t.ref)&&(s.current&&s.current!=t.__e||be(s,null,e)),(s=t.__c)!=null){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(o){w.__e(o,e)}s.base=s.__P=s.__n=null}if(s=t.__k)for(i=0;i<s.length;i++)s[i]&&Qe(s[i],e,n||typeof t.type!="function");n||ye(t.__e),t.__c=t.__=t.__e=void 0}function Et(t,e,n){return this.constructor(t,n)}function We(t,e,n){var s,i,o,r;e==document&&(e=document.documentElement),w.__&&w.__(t,e),i=(s=typeof n=="function")?null:n&&n.__k||e.__k,o=[],r=[],ve(e,t=(!s&&n||e).__k=ge(re,null,[t]),i||ee,ee,e.namespaceURI,!s&&n?[n]:i?null:e.firstChild?se.call(e.childNodes):null,o,!s&&n?n:i?i.__e:e.firstChild,s,r),je(o,t,r),t.props.children=null}se=te.slice,w={__e:function(t,e,n,s){for(var i,o,r;e=e.__;)if((i=e.__c)&&!i.__)try{if((o=i.constructor)&&o.getDerivedStateFromError!=null&&(i.setState(o.getDerivedStateFromError(t)),r=i.__d),i.componentDidCatch!=null&&(i.componentDidCatch(t,s||{}),r=i.__d),r)return i.__E=i}catch(l){t=l}throw t}},Ue=0,bt=function(t){return t!=null&&t.constructor===void 0},Z.prototype.setState=function(t,e){var n;n=this.__s!=null&&this.__s!=this.state?this.__s:this.__s=F({},this.state),typeof t=="function"&&(t=t(F({},n),this.props)),t&&F(n,t),t!=null&&this.__v&&(e&&this._sb.push(e),Re(this))},Z.prototype.forceUpdate=function(t){this.__v&&(this.__e=!0,t&&this.__h.push(t),Re(this))},Z.prototype.render=re,M=[],qe=typeof Promise=="function"?Promise.prototype.then.bind(Promise.resolve()):setTimeout,He=function(t,e){return t.__v.__b-e.__v.__b},ne.__r=0,fe=Math.random().toString(8),J="__d"+fe,Y="__a"+fe,Le=/(PointerCapture)$|Capture$/i,$e=0,he=Ae(!1),me=Ae(!0),wt=0;var G,C,we,Ke,ae=0,et=[],S=w,Ge=S.__b,Ye=S.__r,Ve=S.diffed,ze=S.__c,Je=S.unmount,Xe=S.__;function le(t,e){S.__h&&S.__h(C,t,ae||e),ae=0;var n=C.__H||(C.__H={__:[],__h:[]});return t>=n.__.length&&n.__.push({}),n.__[t]}function h(t){return ae=1,Pt(nt,t)}function Pt(t,e,n){var s=le(G++,2);if(s.t=t,!s.__c&&(s.__=[n?n(e):nt(void 0,e),function(l){var u=s.__N?s.__N[0]:s.__[0],c=s.t(u,l);u!==c&&(s.__N=[c,s.__[1]],s.__c.setState({}))}],s.__c=C,!C.__f)){var i=function(l,u,c){if(!s.__c.__H)return!0;var p=!1,_=s.__c.props!==l;if(s.__c.__H.__.some(function(f){if(f.__N){p=!0;var v=f.__[0];f.__=f.__N,f.__N=void 0,v!==f.__[0]&&(_=!0)}}),o){var a=o.call(this,l,u,c);return p?a||_:a}return!p||_};C.__f=!0;var o=C.shouldComponentUpdate,r=C.componentWillUpdate;C.componentWillUpdate=function(l,u,c){if(this.__e){var p=o;o=void 0,i(l,u,c),o=p}r&&r.call(this,l,u,c)},C.shouldComponentUpdate=i}return s.__N||s.__}function P(t,e){var n=le(G++,3);!S.__s&&Ce(n.__H,e)&&(n.__=t,n.u=e,C.__H.__h.push(n))}function tt(t,e){var n=le(G++,4);!S.__s&&Ce(n.__H,e)&&(n.__=t,n.u=e,C.__h.push(n))}function A(t){return ae=5,xe(function(){return{current:t}},[])}function xe(t,e){var n=le(G++,7);return Ce(n.__H,e)&&(n.__=t(),n.__H=e,n.__h=t),n.__}function It(){for(var t;t=et.shift();){var e=t.__H;if(t.__P&&e)try{e.__h.some(ie),e.__h.some(ke),e.__h=[]}catch(n){e.__h=[],S.__e(n,t.__v)}}}S.__b=function(t){C=null,Ge&&Ge(t)},S.__=function(t,e){t&&e.__k&&e.__k.__m&&(t.__m=e.__k.__m),Xe&&Xe(t,e)},S.__r=function(t){Ye&&Ye(t),G=0;var e=(C=t.__c).__H;e&&(we===C?(e.__h=[],C.__h=[],e.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})):(e.__h.some(ie),e.__h.some(ke),e.__h=[],G=0)),we=C},S.diffed=function(t){Ve&&Ve(t);var e=t.__c;e&&e.__H&&(e.__H.__h.length&&(et.push(e)!==1&&Ke===S.requestAnimationFrame||((Ke=S.requestAnimationFrame)||Rt)(It)),e.__H.__.some(function(n){n.u&&(n.__H=n.u,n.u=void 0)})),we=C=null},S.__c=function(t,e){e.some(function(n){try{n.__h.some(ie),n.__h=n.__h.filter(function(s){return!s.__||ke(s)})}catch(s){e.some(function(i){i.__h&&(i.__h=[])}),e=[],S.__e(s,n.__v)}}),ze&&ze(t,e)},S.unmount=function(t){Je&&Je(t);var e,n=t.__c;n&&n.__H&&(n.__H.__.some(function(s){try{ie(s)}catch(i){e=i}}),n.__H=void 0,e&&S.__e(e,n.__v))};var Ze=typeof requestAnimationFrame=="function";function Rt(t){var e,n=function(){clearTimeout(s),Ze&&cancelAnimationFrame(e),setTimeout(t)},s=setTimeout(n,35);Ze&&(e=requestAnimationFrame(n))}function ie(t){var e=C,n=t.__c;typeof n=="function"&&(t.__c=void 0,n()),C=e}function ke(t){var e=C;t.__c=t.__(),C=e}function Ce(t,e){return!t||t.length!==e.length||e.some(function(n,s){return n!==t[s]})}function nt(t,e){return typeof e=="function"?e(t):e}var ot=function(t,e,n,s){var i;e[0]=0;for(var o=1;o<e.length;o++){var r=e[o++],l=e[o]?(e[0]|=r?1:2,n[e[o++]]):e[++o];r===3?s[0]=l:r===4?s[1]=Object.assign(s[1]||{},l):r===5?(s[1]=s[1]||{})[e[++o]]=l:r===6?s[1][e[++o]]+=l+"":r?(i=t.apply(l,ot(t,l,n,["",null])),s.push(i),l[0]?e[0]|=2:(e[o-2]=0,e[o]=i)):s.push(l)}return s},st=new Map;function rt(t){var e=st.get(this);return e||(e=new Map,st.set(this,e)),(e=ot(this,e.get(t)||(e.set(t,e=(function(n){for(var s,i,o=1,r="",l="",u=[0],c=function(a){o===1&&(a||(r=r.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?u.push(0,a,r):o===3&&(a||r)?(u.push(3,a,r),o=2):o===2&&r==="..."&&a?u.push(4,a,0):o===2&&r&&!a?u.push(5,0,!0,r):o>=5&&((r||!a&&o===5)&&(u.push(o,0,r,i),o=6),a&&(u.push(o,a,0,i),o=6)),r=""},p=0;p<n.length;p++){p&&(o===1&&c(),c(p));for(var _=0;_<n[p].length;_++)s=n[p][_],o===1?s==="<"?(c(),u=[u],o=3):r+=s:o===4?r==="--"&&s===">"?(o=1,r=""):r=s+r[0]:l?s===l?l="":r+=s:s==='"'||s==="'"?l=s:s===">"?(c(),o=1):o&&(s==="="?(o=5,i=r,r=""):s==="/"&&(o<5||n[p][_+1]===">")?(c(),o===3&&(u=u[0]),o=u,(u=u[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(c(),o=2):r+=s),o===3&&r==="!--"&&(o=4,u=u[0])}return c(),u})(t)),e),arguments,[])).length>1?e:e[0]}var d=rt.bind(ge);function U(t,{replace:e=!1}={}){e?history.replaceState(null,"",t):history.pushState(null,"",t),dispatchEvent(new PopStateEvent("popstate"))}function y({href:t,children:e,...n}){return d`<a href=${t} onClick=${i=>{i.defaultPrevented||i.button!==0||i.metaKey||i.ctrlKey||i.shiftKey||i.altKey||(i.preventDefault(),U(t))}} ...${n}>${e}</a>`}function N({errors:t,title:e="There is a problem"}){let n=A(null);if(P(()=>{t.length&&n.current&&n.current.focus()},[t]),!t.length)return null;let s=i=>o=>{let r=document.getElementById(i);r&&(o.preventDefault(),r.focus())};return d`<div class="error-summary" role="alert" tabindex="-1" ref=${n} aria-labelledby="error-summary-title">
    <h2 id="error-summary-title">${e}</h2>
    <ul>
      ${t.map(i=>d`<li>${i.field?d`<a href=${"#"+i.field} onClick=${s(i.field)}>${i.message}</a>`:i.message}</li>`)}
    </ul>
  </div>`}function R({id:t,label:e,hint:n,error:s,as:i="input",value:o,onInput:r,...l}){let u=[n?t+"-hint":"",s?t+"-error":""].filter(Boolean).join(" ")||void 0,c=i==="textarea"?d`<textarea id=${t} name=${t} value=${o} onInput=${p=>r(p.currentTarget.value)}
          aria-invalid=${s?"true":void 0} aria-describedby=${u} ...${l}></textarea>`:d`<input id=${t} name=${t} value=${o} onInput=${p=>r(p.currentTarget.value)}
          aria-invalid=${s?"true":void 0} aria-describedby=${u} ...${l} />`;return d`<div class=${"field"+(s?" field-error":"")}>
    <label for=${t}>${e}</label>
    ${n&&d`<p class="hint" id=${t+"-hint"}>${n}</p>`}
    ${s&&d`<p class="error-message" id=${t+"-error"}><span class="visually-hidden">Error: </span>${s}</p>`}
    ${c}
  </div>`}function j(t,e={}){let n={};for(let[s,i]of Object.entries(t&&t.fields||{})){let o=s.replace(/\[\d+\]/g,"").replace(/^questions\.?/,""),r=e[s]||e[o]||s;n[r]=i.charAt(0).toUpperCase()+i.slice(1)+(/[.!?]$/.test(i)?"":".")}return n}function V({value:t,max:e=1,label:n,text:s}){let i=e>0?Math.round(100*t/e):0;return d`<div class="progress">
    <div class="progress-text">${s}</div>
    <div class="bar" role="progressbar" aria-label=${n} aria-valuemin="0" aria-valuemax="100" aria-valuenow=${i}
      aria-valuetext=${s}>
      <span class="bar-fill" style=${{width:i+"%"}}></span>
    </div>
  </div>`}function it(t){if(!t)return"";let e=Math.max(0,(Date.now()-Date.parse(t))/1e3);if(e<60)return"just now";let n=Math.floor(e/60);if(n<60)return n===1?"1 minute ago":`${n} minutes ago`;let s=Math.floor(n/60);if(s<24)return s===1?"1 hour ago":`${s} hours ago`;let i=Math.floor(s/24);return i<30?i===1?"yesterday":`${i} days ago`:new Date(t).toLocaleDateString()}function ce(t){return t?new Date(t).toLocaleString(void 0,{dateStyle:"medium",timeStyle:"short"}):""}function q(t,e,n=e+"s"){return`${t} ${t===1?e:n}`}function B({label:t="Loading\u2026",lines:e=3}){return d`<div class="loading" role="status" aria-live="polite">
    <span class="visually-hidden">${t}</span>
    ${Array.from({length:e},()=>d`<div class="skeleton" aria-hidden="true"></div>`)}
  </div>`}function H(t){P(()=>{document.title=t?`${t} \u2013 Recall`:"Recall"},[t])}function L(t,e){P(()=>{t.current&&t.current.focus({preventScroll:!1})},[e])}var Te="recall.token",pe=class extends Error{constructor(e,n,s,i,o){super(s),this.status=e,this.code=n,this.fields=i||{},this.retryAfter=o||0}};function at(){try{return sessionStorage.getItem(Te)||""}catch{return""}}function Se(t){try{t?sessionStorage.setItem(Te,t):sessionStorage.removeItem(Te)}catch{}}function _e(){let t=new Uint8Array(16);return crypto.getRandomValues(t),Array.from(t,e=>e.toString(16).padStart(2,"0")).join("")}var lt=t=>new Promise(e=>setTimeout(e,t)),ue=[500,1e3,2e3],de=class{constructor({onSignedOut:e=()=>{},onConnection:n=()=>{}}={}){this.onSignedOut=e,this.onConnection=n}signedIn(){return at()!==""}async request(e,n,{body:s,idempotencyKey:i}={}){let o=e==="GET"||e==="PUT"||e==="DELETE"||!!i,r={Accept:"application/json"},l=at();l&&(r.Authorization="Bearer "+l),s!==void 0&&(r["Content-Type"]="application/json"),i&&(r["Idempotency-Key"]=i);for(let u=0;;u++){let c;try{c=await fetch(n,{method:e,headers:r,body:s===void 0?void 0:JSON.stringify(s),cache:"no-store",credentials:"omit"})}catch{if(o&&u<ue.length){this.onConnection("retrying"),await lt(ue[u]);continue}throw this.onConnection("ok"),new pe(0,"network","Recall cannot be reached. Check your connection and try again.")}if(c.status===503&&o&&u<ue.length){this.onConnection("retrying"),await lt(ue[u]);continue}return u>0&&this.onConnection("ok"),this.#e(c,l)}}async#e(e,n){if(e.status===204)return null;let s=null;try{s=await e.json()}catch{s=null}if(e.ok)return s;let i=s&&s.error||{},o=i.message||`Something went wrong (HTTP ${e.status}). Try again.`,r=0;throw e.status===401&&n?(Se(""),o="You have been signed out. Sign in again to go on.",this.onSignedOut()):e.status===429?(r=parseInt(e.headers.get("Retry-After")||"1",10)||1,o=`Too many requests. Try again in ${r} s.`):e.status>=500&&(o=i.message||"Recall is having trouble. Try again in a moment."),new pe(e.status,i.code||"http_"+e.status,o,i.fields,r)}async signIn(e,n){let s=await this.request("POST","/v1/tokens",{body:{username:e,password:n}});return Se(s.token),s}signUp(e,n){return this.request("POST","/v1/users",{body:{username:e,password:n}})}async signOut(){try{await this.request("DELETE","/v1/tokens/current")}finally{Se("")}}me(){return this.request("GET","/v1/me")}topics(e="dashboard"){return this.request("GET","/v1/topics?view="+e)}topic(e){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}?view=full`)}createTopic(e){return this.request("POST","/v1/topics",{body:e})}updateTopic(e,n){return this.request("PATCH",`/v1/topics/${encodeURIComponent(e)}`,{body:n})}deleteTopic(e){return this.request("DELETE",`/v1/topics/${encodeURIComponent(e)}`)}questions(e){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}/questions`)}question(e,n){return this.request("GET",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`)}addQuestions(e,n){return this.request("POST",`/v1/topics/${encodeURIComponent(e)}/questions`,{body:{questions:n}})}updateQuestion(e,n,s){return this.request("PATCH",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`,{body:s})}deleteQuestion(e,n){return this.request("DELETE",`/v1/topics/${encodeURIComponent(e)}/questions/${encodeURIComponent(n)}`)}startSession(e){return this.request("POST","/v1/sessions",{body:{topic_id:e}})}sessions(){return this.request("GET","/v1/sessions")}session(e){return this.request("GET",`/v1/sessions/${encodeURIComponent(e)}`)}turn(e,n,s){return this.request("POST",`/v1/sessions/${encodeURIComponent(e)}/turns`,{body:{message:n},idempotencyKey:s})}turns(e){return this.request("GET",`/v1/sessions/${encodeURIComponent(e)}/turns`)}endSession(e,n){return this.request("POST",`/v1/sessions/${encodeURIComponent(e)}/end`,{idempotencyKey:n})}};var Dt=/^[a-z0-9_.-]{3,32}$/;function At(t,e,n){let s={};return t?n&&!Dt.test(t.toLowerCase())&&(s.username="Use 3 to 32 letters, digits, dots, dashes or underscores."):s.username="Enter your username.",e?n&&(e.length<8||e.length>256)&&(s.password="Use a password of at least 8 characters."):s.password="Enter your password.",s}function Ee({api:t,signUp:e,notice:n}){let[s,i]=h(""),[o,r]=h(""),[l,u]=h({}),[c,p]=h(""),[_,a]=h(!1),f=A(null),v=e?"Create your account":"Sign in";H(v),L(f,e);let b=async m=>{if(m.preventDefault(),_)return;let $=At(s.trim(),o,e);if(u($),p(""),!Object.keys($).length){a(!0);try{e&&await t.signUp(s.trim(),o),await t.signIn(s.trim(),o),U("/",{replace:!0})}catch(x){let D=j(x);Object.keys(D).length?u(D):x.code==="conflict"?u({username:"That username is taken. Choose another."}):x.status===401?u({password:"The username or password is wrong."}):p(x.message),a(!1)}}},g=Object.entries(l).map(([m,$])=>({field:m,message:$}));return c&&g.push({message:c}),d`<main id="main" class="narrow">
    <h1 tabindex="-1" ref=${f}>${v}</h1>
    ${n&&d`<p class="notice" role="status">${n}</p>`}
    <${N} errors=${g} />
    <form onSubmit=${b} novalidate>
      <${R} id="username" label="Username" value=${s} onInput=${i} error=${l.username}
        autocomplete="username" autocapitalize="none" spellcheck="false"
        hint=${e?"3 to 32 characters: letters, digits, dots, dashes or underscores.":void 0} />
      <${R} id="password" label="Password" type="password" value=${o} onInput=${r}
        error=${l.password} autocomplete=${e?"new-password":"current-password"}
        hint=${e?"At least 8 characters.":void 0} />
      <button type="submit" class="primary" aria-busy=${_?"true":void 0}>
        ${_?e?"Creating your account\u2026":"Signing in\u2026":e?"Create account":"Sign in"}
      </button>
    </form>
    <p class="switch">
      ${e?d`Already have an account? <${y} href="/signin">Sign in</${y}>`:d`New to Recall? <${y} href="/signup">Create an account</${y}>`}
    </p>
  </main>`}function ct({api:t}){let[e,n]=h(null),[s,i]=h(""),o=A(null);H("Your topics"),L(o,"dash");let r=async()=>{try{let l=await t.topics("dashboard");n(l.topics),i("")}catch(l){i(l.message)}};return P(()=>{r()},[]),d`<main id="main">
    <h1 tabindex="-1" ref=${o}>Your topics</h1>
    <${Ut} api=${t} onCreated=${l=>U("/topics/"+encodeURIComponent(l.id))} />
    ${s&&d`<p class="error-message" role="alert">${s} <button type="button" onClick=${r}>Try again</button></p>`}
    ${e===null&&!s&&d`<${B} label="Loading your topics…" />`}
    ${e!==null&&(e.length===0?d`<div class="empty">
          <h2>No topics yet</h2>
          <p>Create one above — give it a title like “Capitals of Europe” — then paste your questions into it.</p>
        </div>`:d`<ul class="topics" aria-label="Topics">
          ${e.map(l=>d`<${qt} key=${l.id} api=${t} topic=${l} onChange=${r} />`)}
        </ul>`)}
  </main>`}function Ut({api:t,onCreated:e}){let[n,s]=h(""),[i,o]=h(""),[r,l]=h(!1);return d`<section class="card new-topic" aria-labelledby="new-topic-heading">
    <h2 id="new-topic-heading">New topic</h2>
    <${N} errors=${i?[{field:"new-topic-title",message:i}]:[]} />
    <form onSubmit=${async p=>{if(p.preventDefault(),!r){if(!n.trim()){o("Enter a title for the topic.");return}l(!0),o("");try{let _=await t.createTopic({title:n.trim()});s(""),e(_.topic)}catch(_){o(j(_).title||_.message)}finally{l(!1)}}}} class="inline-form" novalidate>
      <${R} id="new-topic-title" label="Title" value=${n} onInput=${s} error=${i} maxlength="200"
        placeholder="e.g. Spanish verbs" />
      <button type="submit" class="primary" aria-busy=${r?"true":void 0}>${r?"Creating\u2026":"Create topic"}</button>
    </form>
  </section>`}function qt({api:t,topic:e,onChange:n}){let[s,i]=h("view"),[o,r]=h(e.title),[l,u]=h(""),[c,p]=h(!1),_=e.stats||{},a="/topics/"+encodeURIComponent(e.id),f="topic-"+e.id,v=async $=>{if($.preventDefault(),!c){if(!o.trim()){u("Enter a title for the topic.");return}p(!0);try{await t.updateTopic(e.id,{title:o.trim()}),i("view"),u(""),n()}catch(x){u(j(x).title||x.message)}finally{p(!1)}}},b=async()=>{if(!c){p(!0);try{await t.deleteTopic(e.id),n()}catch($){u($.message),p(!1)}}},g=async()=>{if(!c){p(!0);try{let $=await t.startSession(e.id);U("/study/"+encodeURIComponent($.session.id))}catch($){u($.message),p(!1)}}},m=_.accuracy;return d`<li class="card topic">
    ${s==="rename"?d`<form onSubmit=${v} class="inline-form" novalidate>
          <${R} id=${f+"-title"} label="New title" value=${o} onInput=${r} error=${l}
            maxlength="200" autofocus />
          <div class="actions">
            <button type="submit" class="primary">Save title</button>
            <button type="button" onClick=${()=>{i("view"),r(e.title),u("")}}>Cancel</button>
          </div>
        </form>`:d`<h2><${y} href=${a}>${e.title}</${y}></h2>`}
    <p class="meta">
      ${[q(e.question_count,"question"),_.last_studied_at?"last studied "+it(_.last_studied_at):"not studied yet",_.sessions_completed?q(_.sessions_completed,"session")+" done":""].filter(Boolean).join(" \xB7 ")}
    </p>
    <${V} value=${m??0} max=${1} label=${"Accuracy in "+e.title}
      text=${m==null?"No answers yet":`${Math.round(m*100)}% right (${_.correct} of ${_.answers})`} />
    ${s==="confirm-delete"?d`<div class="confirm" role="alertdialog" aria-labelledby=${f+"-confirm"}>
          <p id=${f+"-confirm"}>Delete “${e.title}” and its ${q(e.question_count,"question")}? This cannot be undone.</p>
          <div class="actions">
            <button type="button" class="danger" onClick=${b} autofocus>Yes, delete it</button>
            <button type="button" onClick=${()=>i("view")}>Keep it</button>
          </div>
        </div>`:s==="view"&&d`<div class="actions">
          ${e.question_count>0?d`<button type="button" class="primary" onClick=${g} aria-busy=${c?"true":void 0}>Study</button>`:d`<${y} class="button primary" href=${a}>Add questions</${y}>`}
          <button type="button" onClick=${()=>i("rename")} aria-label=${"Rename "+e.title}>Rename</button>
          <button type="button" class="danger-outline" onClick=${()=>i("confirm-delete")}
            aria-label=${"Delete "+e.title}>Delete</button>
        </div>`}
    ${l&&s!=="rename"&&d`<p class="error-message" role="alert">${l}</p>`}
  </li>`}function Ht(t){let e=[],n=[];return t.split(/\r?\n/).forEach((s,i)=>{if(!s.trim())return;let o;if(s.includes("	"))o=s.split("	");else if(s.includes("::")){let u=s.indexOf("::");o=[s.slice(0,u),s.slice(u+2)]}else{n.push(`Line ${i+1} has no \u201C::\u201D or tab between question and answer.`);return}let r=o[0].trim(),l=o.slice(1).join(" ").trim();if(!r||!l){n.push(`Line ${i+1} needs both a question and an answer.`);return}e.push({prompt:r,answers:[l]})}),{questions:e,errors:n}}var ut=t=>t.split(/\r?\n/).map(e=>e.trim()).filter(Boolean);function pt(t){return{prompt:t?t.prompt:"",answers:t?(t.answers||[]).join(`
`):"",choices:t?(t.choices||[]).join(`
`):"",hint:t&&t.hint||"",explanation:t&&t.explanation||""}}function Lt(t){return{prompt:t.prompt.trim(),answers:ut(t.answers),choices:ut(t.choices),hint:t.hint.trim(),explanation:t.explanation.trim()}}function Ot(t){let e={};return t.prompt||(e.prompt="Enter the question."),t.answers.length||(e.answers="Enter at least one accepted answer."),t.choices.length===1?e.choices="Give at least two choices, or none.":t.choices.length&&t.answers.some(n=>!t.choices.includes(n))&&(e.choices="Every accepted answer must be one of the choices."),e}function _t({api:t,id:e}){let[n,s]=h(null),[i,o]=h(null),[r,l]=h(""),u=A(null);H(n?n.title:"Topic"),L(u,e+(n?"1":"0"));let c=async()=>{try{let[p,_]=await Promise.all([t.topic(e),t.questions(e)]);s(p.topic),o(_.questions),l("")}catch(p){l(p.status===404?"This topic does not exist, or it has been deleted.":p.message)}};return P(()=>{c()},[e]),r?d`<main id="main">
      <h1 tabindex="-1" ref=${u}>Topic</h1>
      <p class="error-message" role="alert">${r}</p>
      <p><${y} href="/">Back to your topics</${y}></p>
    </main>`:n?d`<main id="main">
    <p class="crumbs"><${y} href="/">Your topics</${y}></p>
    <h1 tabindex="-1" ref=${u}>${n.title}</h1>
    <${Ft} api=${t} topic=${n} count=${i.length} />
    <${Mt} api=${t} topic=${n} onSaved=${s} />
    <${Nt} api=${t} topicID=${e} questions=${i} onChange=${c} />
  </main>`:d`<main id="main"><h1 tabindex="-1" ref=${u}>Topic</h1><${B} label="Loading the topic…" lines=${5} /></main>`}function Ft({api:t,topic:e,count:n}){let[s,i]=h(!1),[o,r]=h("");return n?d`<div class="study-start">
    <button type="button" class="primary big" onClick=${async()=>{if(!s){i(!0);try{let u=await t.startSession(e.id);U("/study/"+encodeURIComponent(u.session.id))}catch(u){r(u.message),i(!1)}}}} aria-busy=${s?"true":void 0}>
      Study ${q(Math.min(n,20),"question")}
    </button>
    ${o&&d`<p class="error-message" role="alert">${o}</p>`}
  </div>`:d`<p class="notice">Add questions below, then study them here.</p>`}function Mt({api:t,topic:e,onSaved:n}){let[s,i]=h(e.title),[o,r]=h(e.description||""),[l,u]=h({}),[c,p]=h(""),[_,a]=h(!1),f=async b=>{if(b.preventDefault(),_)return;let g={};if(s.trim()||(g["topic-title"]="Enter a title for the topic."),u(g),p(""),!Object.keys(g).length){a(!0);try{let m=await t.updateTopic(e.id,{title:s.trim(),description:o.trim()});n({...e,...m.topic}),p("Saved.")}catch(m){let $=j(m,{title:"topic-title",description:"topic-description"});u(Object.keys($).length?$:{"topic-form":m.message})}finally{a(!1)}}},v=Object.entries(l).map(([b,g])=>({field:b==="topic-form"?void 0:b,message:g}));return d`<details class="card">
    <summary>Edit title and description</summary>
    <${N} errors=${v} />
    <form onSubmit=${f} novalidate>
      <${R} id="topic-title" label="Title" value=${s} onInput=${i} error=${l["topic-title"]} maxlength="200" />
      <${R} id="topic-description" label="Description (optional)" as="textarea" rows="3" value=${o}
        onInput=${r} error=${l["topic-description"]} maxlength="4000" />
      <div class="actions">
        <button type="submit" class="primary" aria-busy=${_?"true":void 0}>Save topic</button>
        <span role="status" class="saved">${c}</span>
      </div>
    </form>
  </details>`}function Nt({api:t,topicID:e,questions:n,onChange:s}){let[i,o]=h(""),[r,l]=h(""),[u,c]=h({}),p=async _=>{try{await t.deleteQuestion(e,_.id),l(""),s()}catch(a){c({[_.id]:a.message})}};return d`<section aria-labelledby="bank-heading">
    <h2 id="bank-heading">Questions <span class="count">(${n.length})</span></h2>
    ${n.length===0?d`<div class="empty"><p>No questions yet. Paste a list below — one “Question :: Answer” a line — or add them one by one.</p></div>`:d`<table class="bank">
          <caption class="visually-hidden">The questions of this topic</caption>
          <thead><tr><th scope="col">Question</th><th scope="col">Answer</th><th scope="col">Hint</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
          <tbody>
            ${n.map((_,a)=>i===_.id?d`<tr key=${_.id} class="editing"><td colspan="4">
                    <${dt} api=${t} topicID=${e} question=${_} idp=${"q"+a}
                      onDone=${()=>{o(""),s()}} onCancel=${()=>o("")} />
                  </td></tr>`:d`<tr key=${_.id}>
                    <td data-label="Question">
                      <span class="prompt">${_.prompt}</span>
                      ${_.choices&&_.choices.length>0&&d`<ol class="choices" type="A">${_.choices.map(f=>d`<li>${f}</li>`)}</ol>`}
                      ${_.explanation&&d`<p class="explanation">${_.explanation}</p>`}
                    </td>
                    <td data-label="Answer">${(_.answers||[]).join(" \xB7 ")}</td>
                    <td data-label="Hint">${_.hint||d`<span class="muted">—</span>`}</td>
                    <td class="row-actions">
                      ${r===_.id?d`<span class="confirm-inline">Delete this question?
                            <button type="button" class="danger" onClick=${()=>p(_)} autofocus>Delete</button>
                            <button type="button" onClick=${()=>l("")}>Keep</button></span>`:d`<button type="button" onClick=${()=>o(_.id)} aria-label=${"Edit question "+(a+1)}>Edit</button>
                            <button type="button" class="danger-outline" onClick=${()=>l(_.id)}
                              aria-label=${"Delete question "+(a+1)}>Delete</button>`}
                      ${u[_.id]&&d`<p class="error-message" role="alert">${u[_.id]}</p>`}
                    </td>
                  </tr>`)}
          </tbody>
        </table>`}
    <${jt} api=${t} topicID=${e} onDone=${s} />
    <details class="card">
      <summary>Add one question with choices, hint or explanation</summary>
      <${dt} api=${t} topicID=${e} idp="new" onDone=${s} />
    </details>
  </section>`}function dt({api:t,topicID:e,question:n,idp:s,onDone:i,onCancel:o}){let[r,l]=h(pt(n)),[u,c]=h({}),[p,_]=h(!1),a=g=>m=>l({...r,[g]:m}),f=g=>`${s}-${g}`,v=async g=>{if(g.preventDefault(),p)return;let m=Lt(r),$=Ot(m);if(c($),!Object.keys($).length){_(!0);try{n?(!m.choices.length&&!(n.choices||[]).length&&delete m.choices,await t.updateQuestion(e,n.id,m)):(m.choices.length||delete m.choices,await t.addQuestions(e,[m]),l(pt(null))),c({}),i()}catch(x){let D=j(x);c(Object.keys(D).length?D:{form:x.message})}finally{_(!1)}}},b=Object.entries(u).map(([g,m])=>({field:g==="form"?void 0:f(g),message:m}));return d`<form onSubmit=${v} novalidate class="question-form">
    <${N} errors=${b} />
    <${R} id=${f("prompt")} label="Question" as="textarea" rows="2" value=${r.prompt} onInput=${a("prompt")}
      error=${u.prompt} maxlength="2000" />
    <${R} id=${f("answers")} label="Accepted answers" hint="One a line." as="textarea" rows="2" value=${r.answers}
      onInput=${a("answers")} error=${u.answers} />
    <${R} id=${f("choices")} label="Choices (optional)" hint="One a line; makes it multiple choice." as="textarea"
      rows="3" value=${r.choices} onInput=${a("choices")} error=${u.choices} />
    <${R} id=${f("hint")} label="Hint (optional)" value=${r.hint} onInput=${a("hint")} error=${u.hint}
      maxlength="500" />
    <${R} id=${f("explanation")} label="Explanation (optional)" hint="Shown after the answer." as="textarea" rows="2"
      value=${r.explanation} onInput=${a("explanation")} error=${u.explanation} maxlength="4000" />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${p?"true":void 0}>${n?"Save question":"Add question"}</button>
      ${o&&d`<button type="button" onClick=${o}>Cancel</button>`}
    </div>
  </form>`}function jt({api:t,topicID:e,onDone:n}){let[s,i]=h(""),[o,r]=h([]),[l,u]=h(""),[c,p]=h(!1),_=Ht(s);return d`<form onSubmit=${async f=>{if(f.preventDefault(),!c){if(u(""),!_.questions.length&&!_.errors.length){r(["Paste at least one line: a question, \u201C::\u201D, then its answer."]);return}if(_.errors.length){r(_.errors);return}p(!0);try{await t.addQuestions(e,_.questions),i(""),r([]),u(`Added ${q(_.questions.length,"question")}.`),n()}catch(v){r([v.message])}finally{p(!1)}}}} class="card paste" novalidate>
    <h3>Paste questions</h3>
    <${N} errors=${o.map(f=>({field:"paste",message:f}))} />
    <${R} id="paste" label="Questions, one a line" as="textarea" rows="5" value=${s} onInput=${i}
      hint="Write “Question :: Answer”, or paste two columns from a spreadsheet (question, tab, answer)."
      error=${o.length?o[0]:""} placeholder=${`Capital of France :: Paris
Capital of Spain :: Madrid`} />
    <div class="actions">
      <button type="submit" class="primary" aria-busy=${c?"true":void 0}>
        ${_.questions.length?`Add ${q(_.questions.length,"question")}`:"Add questions"}
      </button>
      <span role="status" class="saved">${l}</span>
    </div>
  </form>`}function ft(t,e,n){let s=`Question ${t} of ${e}: ${n.prompt}`;return(n.choices||[]).forEach((i,o)=>{s+=`
${String.fromCharCode(65+o)}) ${i}`}),s}async function Pe(t,e,n){let s=[],i=e.progress.total;if(n.length===0&&e.current_question)s.push({from:"tutor",text:ft(1,i,e.current_question)});else if(n.length&&n[0].question_id)try{let o=await t.question(e.topic_id,n[0].question_id);s.push({from:"tutor",text:ft(1,i,o.question)})}catch{s.push({from:"tutor",text:"Question 1 (since removed from the topic)."})}for(let o of n)s.push(...mt(o));return s}function ht(t){let e=t.trim().toLowerCase();return e==="/hint"?"Hint, please.":e==="/skip"?"Skip this one.":t}function mt(t){return[{from:"learner",text:ht(t.message)},{from:"tutor",text:t.reply,correct:t.kind==="answer"?t.correct:null,kind:t.kind}]}function Bt({m:t,onRetry:e}){let n=["bubble",t.from,t.pending?"pending":"",t.failed?"failed":"",t.correct===!0?"right":"",t.correct===!1?"wrong":""].filter(Boolean).join(" ");return d`<li class=${n} aria-busy=${t.pending?"true":void 0}>
    <span class="visually-hidden">${t.from==="tutor"?"Tutor: ":"You: "}</span>
    ${t.correct===!0&&d`<span class="verdict" aria-hidden="true">✓ </span>`}
    ${t.correct===!1&&d`<span class="verdict" aria-hidden="true">✗ </span>`}
    <span class="text">${t.text}</span>
    ${t.pending&&d`<span class="sending">Sending…</span>`}
    ${t.failed&&d`<span class="failed-note">${t.failed} <button type="button" onClick=${e}>Send again</button></span>`}
  </li>`}function $t({messages:t,onRetry:e,label:n}){let s=A(null);return tt(()=>{s.current&&s.current.scrollIntoView({block:"end"})},[t.length,t[t.length-1]]),d`<ol class="chat" aria-label=${n} aria-live="polite" aria-relevant="additions">
    ${t.map((i,o)=>d`<${Bt} key=${o} m=${i} onRetry=${e} />`)}
    <li class="chat-end" ref=${s} aria-hidden="true"></li>
  </ol>`}function Qt(t){return`${t.answered+t.skipped} of ${t.total} done \xB7 ${t.correct} right${t.skipped?` \xB7 ${t.skipped} skipped`:""}`}function Wt({session:t}){let e=t.progress;return d`<section class="card summary" aria-labelledby="summary-heading">
    <h2 id="summary-heading" tabindex="-1">Session complete</h2>
    <p class="score">${e.correct} of ${e.total} right${e.skipped?`, ${e.skipped} skipped`:""}.</p>
    <div class="actions">
      <${y} class="button primary" href=${"/topics/"+encodeURIComponent(t.topic_id)}>Back to the topic</${y}>
      <${y} class="button" href="/">Your topics</${y}>
      <${y} class="button" href=${"/history/"+encodeURIComponent(t.id)}>Transcript</${y}>
    </div>
  </section>`}function yt({api:t,id:e}){let[n,s]=h(null),[i,o]=h([]),[r,l]=h(""),[u,c]=h(""),[p,_]=h(null),[a,f]=h(""),v=A(null),b=A(null);H("Study"),L(b,e),P(()=>{(async()=>{try{let[k,T]=await Promise.all([t.session(e),t.turns(e)]);o(await Pe(t,k.session,T.turns)),s(k.session)}catch(k){l(k.status===404?"This session does not exist.":k.message)}})()},[e]);let g=!!n;P(()=>{g&&v.current&&v.current.focus()},[g]);let m=n&&n.state==="active",$=async(k,T)=>{if(!(p&&!p.failed)){f(""),_({text:k,key:T});try{let E=await t.turn(e,k,T);_(null),o(I=>[...I,...mt(E.turn)]),s(E.session),v.current&&v.current.focus()}catch(E){if(E.status===409){_(null);let I=await t.session(e).catch(()=>null);I&&s(I.session),f("This session is over.")}else E.status>=400&&E.status<500&&E.status!==429?(_(null),c(k),f(E.message)):_({text:k,key:T,failed:E.message})}}},x=k=>{k.preventDefault();let T=u.trim();if(!(!T||p&&!p.failed||!m)){if(p&&p.failed){f("Send your last message again first, or reload the page.");return}c(""),$(T,_e())}},D=k=>()=>{!m||p||$(k,_e())},O=async()=>{if(!(!m||p))try{let k=_e();_({text:"End the session",key:k,ending:!0});let T=await t.endSession(e,k),E=await t.turns(e).catch(()=>null);s(T.session),E&&o(await Pe(t,T.session,E.turns)),_(null)}catch(k){_(null),f(k.message)}};if(r)return d`<main id="main"><h1 tabindex="-1" ref=${b}>Study</h1>
      <p class="error-message" role="alert">${r}</p><p><${y} href="/">Back to your topics</${y}></p></main>`;let Q=p&&!p.ending?[...i,{from:"learner",text:ht(p.text),pending:!p.failed,failed:p.failed}]:i;return d`<main id="main" class="study">
    <div class=${"study-head"+(m?" sticky":"")}>
      <h1 tabindex="-1" ref=${b} class="visually-hidden">Study session</h1>
      ${n?d`<${V} value=${n.progress.answered+n.progress.skipped} max=${n.progress.total}
            label="Progress" text=${Qt(n.progress)} />`:d`<div class="progress placeholder"></div>`}
    </div>
    ${n?d`<${$t} messages=${Q} label="Conversation with the tutor"
      onRetry=${()=>$(p.text,p.key)} />`:d`<${B} label="Loading the session…" />`}
    ${n&&!m&&d`<${Wt} session=${n} />`}
    ${n&&m&&d`<form class="composer" onSubmit=${x} novalidate>
      ${a&&d`<p class="error-message" role="alert" id="answer-error">${a}</p>`}
      <label for="answer">Your answer</label>
      <div class="composer-row">
        <input id="answer" ref=${v} value=${u} onInput=${k=>c(k.currentTarget.value)}
          autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="2000" enterkeyhint="send"
          aria-describedby=${a?"answer-error":void 0} />
        <button type="submit" class="primary">Answer</button>
      </div>
      <div class="composer-tools">
        <button type="button" onClick=${D("/hint")}>Hint</button>
        <button type="button" onClick=${D("/skip")}>Skip</button>
        <button type="button" class="danger-outline" onClick=${O}>End session</button>
      </div>
    </form>`}
  </main>`}function gt({api:t}){let[e,n]=h(null),[s,i]=h(""),o=A(null);return H("History"),L(o,"history"),P(()=>{(async()=>{try{let[r,l]=await Promise.all([t.sessions(),t.topics("summary")]),u=Object.fromEntries(l.topics.map(c=>[c.id,c.title]));n(r.sessions.map(c=>({...c,title:u[c.topic_id]||"A deleted topic"})))}catch(r){i(r.message)}})()},[]),d`<main id="main">
    <h1 tabindex="-1" ref=${o}>History</h1>
    ${s&&d`<p class="error-message" role="alert">${s}</p>`}
    ${!e&&!s&&d`<${B} label="Loading your sessions…" />`}
    ${e&&(e.length===0?d`<div class="empty"><p>No sessions yet. Open a topic from <${y} href="/">your topics</${y}> and press Study.</p></div>`:d`<ul class="sessions">
          ${e.map(r=>d`<li class="card session-row" key=${r.id}>
              <h2><${y} href=${(r.state==="active"?"/study/":"/history/")+encodeURIComponent(r.id)}>${r.title}</${y}></h2>
              <p class="meta">${ce(r.created_at)} · ${r.state==="active"?"in progress":r.state}</p>
              <${V} value=${r.progress.correct} max=${r.progress.total} label=${"Score of the session of "+ce(r.created_at)}
                text=${`${r.progress.correct} of ${q(r.progress.total,"question")} right`} />
            </li>`)}
        </ul>`)}
  </main>`}function vt({api:t,id:e}){let[n,s]=h(null),[i,o]=h(null),[r,l]=h(""),u=A(null);return H("Transcript"),L(u,e),P(()=>{(async()=>{try{let[c,p]=await Promise.all([t.session(e),t.turns(e)]);o(await Pe(t,c.session,p.turns)),s(c.session)}catch(c){l(c.status===404?"This session does not exist.":c.message)}})()},[e]),d`<main id="main">
    <p class="crumbs"><${y} href="/history">History</${y}></p>
    <h1 tabindex="-1" ref=${u}>Transcript</h1>
    ${r&&d`<p class="error-message" role="alert">${r}</p>`}
    ${!n&&!r&&d`<${B} label="Loading the transcript…" />`}
    ${n&&d`<p class="meta">${ce(n.created_at)} · ${n.progress.correct} of ${q(n.progress.total,"question")} right${n.progress.skipped?`, ${n.progress.skipped} skipped`:""}</p>
      ${i.length?d`<${$t} messages=${i} label="Transcript" />`:d`<p class="empty">Nothing was said in this session.</p>`}
      ${n.state==="active"&&d`<p><${y} class="button primary" href=${"/study/"+encodeURIComponent(n.id)}>Continue this session</${y}></p>`}`}
  </main>`}var Kt=[{re:/^\/$/,page:"dashboard",auth:!0},{re:/^\/signin$/,page:"signin"},{re:/^\/signup$/,page:"signup"},{re:/^\/topics\/([^/]+)$/,page:"topic",auth:!0},{re:/^\/study\/([^/]+)$/,page:"study",auth:!0},{re:/^\/history$/,page:"history",auth:!0},{re:/^\/history\/([^/]+)$/,page:"transcript",auth:!0}];function Gt(t){for(let e of Kt){let n=e.re.exec(t);if(n)return{...e,id:n[1]?decodeURIComponent(n[1]):""}}return{page:"notfound"}}function Yt(){let[t,e]=h(location.pathname),[n,s]=h(""),[i,o]=h("ok"),r=xe(()=>new de({onSignedOut:()=>{s("You have been signed out. Sign in again to go on."),U("/signin",{replace:!0})},onConnection:o}),[]);P(()=>{let _=()=>e(location.pathname);return addEventListener("popstate",_),()=>removeEventListener("popstate",_)},[]);let l=Gt(t),u=r.signedIn();P(()=>{l.auth&&!u?U("/signin",{replace:!0}):(l.page==="signin"||l.page==="signup")&&u&&U("/",{replace:!0})},[t,u]);let c=async()=>{try{await r.signOut()}catch{}s("You are signed out."),U("/signin",{replace:!0})},p;return l.auth&&!u?p=null:l.page==="signin"?p=d`<${Ee} api=${r} notice=${n} />`:l.page==="signup"?p=d`<${Ee} api=${r} signUp />`:l.page==="dashboard"?p=d`<${ct} api=${r} />`:l.page==="topic"?p=d`<${_t} key=${l.id} api=${r} id=${l.id} />`:l.page==="study"?p=d`<${yt} key=${l.id} api=${r} id=${l.id} />`:l.page==="history"?p=d`<${gt} api=${r} />`:l.page==="transcript"?p=d`<${vt} key=${l.id} api=${r} id=${l.id} />`:p=d`<main id="main"><h1>Page not found</h1><p>There is nothing at this address. <${y} href="/">Go to your topics</${y}>.</p></main>`,d`<a class="skip-link" href="#main">Skip to content</a>
    <header class="top">
      <nav aria-label="Main">
        <${y} class="brand" href="/">Recall</${y}>
        ${u&&d`<${y} href="/" aria-current=${l.page==="dashboard"?"page":void 0}>Topics</${y}>
          <${y} href="/history" aria-current=${l.page==="history"||l.page==="transcript"?"page":void 0}>History</${y}>
          <button type="button" class="link-button" onClick=${c}>Sign out</button>`}
      </nav>
    </header>
    ${i==="retrying"&&d`<p class="connection" role="status">Connection lost. Retrying…</p>`}
    ${p}`}We(d`<${Yt} />`,document.getElementById("app"));
